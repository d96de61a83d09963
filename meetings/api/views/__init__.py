"""The Meet API's views, one module per resource; each view parses, resolves the
tenant-scoped object, calls one service or selector, and renders the seed's body."""
