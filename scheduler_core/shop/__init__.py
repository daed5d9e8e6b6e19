"""The shop: segments, opening hours, resources, employees and their shifts."""
