"""The one way the widgets draw: a matplotlib figure rendered off-screen into PNG bytes, which a
`W.Image` shows and which the notebook stores, so static views and slides show it too."""

import io


def png_bytes(fig, dpi=72):
    """fig: a matplotlib Figure -> its PNG encoding (the figure is never shown)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
