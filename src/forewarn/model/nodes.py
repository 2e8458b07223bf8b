"""The name evidence gets when nothing says which node it comes from (standard input, a paste
without host names, a file given without --node)."""

UNKNOWN_NODE = "unknown"


def named(node: str | None) -> bool:
    """Whether `node` is a real node's name, one a command can be run on."""
    return bool(node) and node != UNKNOWN_NODE
