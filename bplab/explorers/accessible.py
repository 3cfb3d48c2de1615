r"""Screen readers announce every control by its visible label.

ipywidgets 8 draws a control's description as a ``<label>`` beside the control but does not tie
the two together: a screen reader reads a slider as "slider, 0.7999999999999997", with no name.
:func:`label_bridge` returns a small invisible widget (an ``anywidget``, which plotly's FigureWidget
already needs) placed inside an explorer's box. In the browser it ties each label to its control
(``aria-labelledby``: the slider's handle, the dropdown's ``<select>``, the text box's ``<input>``),
gives each slider the value its readout shows (``aria-valuetext``: "0.800", not the float's
digits), and keeps doing so as the controls change. Nothing changes on the Python side.
"""

from __future__ import annotations

from typing import Any

EXPLORER_CLASS = "bplab-explorer"  # the explorer's outer box carries this CSS class

_ESM = """
let counter = 0;
function tie(root) {
  for (const row of root.querySelectorAll('.widget-slider, .widget-dropdown, .widget-text, .widget-hslider')) {
    const label = row.querySelector(':scope > .widget-label');
    if (!label || !label.textContent.trim()) continue;
    if (!label.id) label.id = `bplab-label-${Date.now().toString(36)}-${counter++}`;
    const control = row.querySelector('.noUi-handle, select, input, textarea');
    if (!control) continue;
    if (control.getAttribute('aria-labelledby') !== label.id) control.setAttribute('aria-labelledby', label.id);
    const readout = row.querySelector('.widget-readout');
    if (readout && control.classList.contains('noUi-handle')) {
      const said = readout.textContent.trim();
      if (said && control.getAttribute('aria-valuetext') !== said) control.setAttribute('aria-valuetext', said);
    }
  }
}
function render({ el }) {
  el.style.display = 'none';
  let root = null;
  let observer = null;
  const attach = () => {
    root = el.closest('.%(explorer)s');
    if (!root) { requestAnimationFrame(attach); return; }
    tie(root);
    observer = new MutationObserver(() => tie(root));
    observer.observe(root, { subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ['aria-valuenow'] });
  };
  attach();
  return () => { if (observer) observer.disconnect(); };
}
export default { render };
""" % {"explorer": EXPLORER_CLASS}


_bridge_class: Any = None


def label_bridge() -> Any:
    """The invisible widget that ties labels to controls inside the enclosing explorer box (see the module)."""
    global _bridge_class
    if _bridge_class is None:  # defined on first use: importing the explorers does not import anywidget
        import anywidget

        class LabelBridge(anywidget.AnyWidget):
            _esm = _ESM

        _bridge_class = LabelBridge
    return _bridge_class()
