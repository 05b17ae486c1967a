"""The terminal log viewer (Textual): builds list, virtualised log, follow, search, filter."""
