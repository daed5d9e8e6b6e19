"""WhatsApp notifications (issue 13)."""
