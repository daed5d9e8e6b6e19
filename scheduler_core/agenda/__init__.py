"""The agenda's tables: visits, their items and status history, blocks, restrictions and
recurring series. The rules that write them live in scheduling/; plans/ reads them too."""
