"""The dashboard's look: one stylesheet, light and dark by a class on the root widget.

The stylesheet is injected once as an ``<style>`` in an HTML widget; switching
theme swaps ``ait-light`` / ``ait-dark`` on the root box, so nothing is
re-rendered. Colours are CSS variables; the jupyter-widgets variables are
overridden inside the root so inputs and buttons follow the theme.
"""

from __future__ import annotations

from typing import Literal

Theme = Literal["light", "dark"]
THEMES: tuple[Theme, ...] = ("light", "dark")

_LIGHT = """
  --ait-bg: #f4f6f9; --ait-card: #ffffff; --ait-fg: #1d2733; --ait-muted: #5f6b7a;
  --ait-border: #d9dee5; --ait-pos: #1b7f3b; --ait-neg: #c62828; --ait-warn: #b26a00;
  --ait-info: #1565c0; --ait-badge-fg: #ffffff; --ait-stripe: #f7f9fb;
  --ait-bar-bg: #e6e9ee;
"""
_DARK = """
  --ait-bg: #12161c; --ait-card: #1b2129; --ait-fg: #e3e8ef; --ait-muted: #9aa6b5;
  --ait-border: #2e3744; --ait-pos: #4cc271; --ait-neg: #ff6b6b; --ait-warn: #f0a63a;
  --ait-info: #64a8ff; --ait-badge-fg: #0d1117; --ait-stripe: #202732;
  --ait-bar-bg: #2b3340;
"""

STYLESHEET = (
    """
<style>
.ait-root.ait-light {"""
    + _LIGHT
    + """}
.ait-root.ait-dark {"""
    + _DARK
    + """
  --jp-widgets-color: var(--ait-fg); --jp-widgets-label-color: var(--ait-fg);
  --jp-widgets-readout-color: var(--ait-fg);
  --jp-widgets-input-color: var(--ait-fg); --jp-widgets-input-background-color: #11161d;
  --jp-widgets-input-border-color: var(--ait-border);
  --jp-layout-color1: var(--ait-card); --jp-layout-color2: #2a323e;
  --jp-ui-font-color1: var(--ait-fg); --jp-content-font-color1: var(--ait-fg);
  --jp-border-color1: var(--ait-border);
}
body:has(.ait-root.ait-dark), body:has(.ait-root.ait-dark) #rendered_cells,
body:has(.ait-root.ait-dark) .jp-OutputArea-output { background: #12161c; }
.ait-root { background: var(--ait-bg); color: var(--ait-fg); padding: 12px;
  font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 13px;
  min-height: 100vh; box-sizing: border-box; }
.ait-root .widget-button, .ait-root .widget-toggle-button {
  background: var(--jp-layout-color2, #eee); color: var(--ait-fg); }
.ait-root .widget-button.mod-primary { background: var(--ait-info); color: var(--ait-badge-fg); }
.ait-root .widget-button.mod-danger { background: var(--ait-neg); color: var(--ait-badge-fg); }
.ait-root .widget-toggle-button.mod-active { background: var(--ait-info);
  color: var(--ait-badge-fg); }
.ait-root select, .ait-root input { background: var(--jp-widgets-input-background-color, #fff);
  color: var(--ait-fg); }
.ait-header { align-items: center; gap: 8px; flex-wrap: wrap; padding-bottom: 8px;
  border-bottom: 1px solid var(--ait-border); margin-bottom: 10px; }
.ait-title { font-size: 18px; font-weight: 600; margin-right: 12px; }
.ait-grid { display: grid; gap: 12px;
  grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); }
.ait-card { background: var(--ait-card); border: 1px solid var(--ait-border); border-radius: 8px;
  padding: 10px 12px; box-sizing: border-box; overflow-x: auto; min-width: 0; }
.ait-card.ait-wide { grid-column: 1 / -1; }
.ait-card.ait-span2 { grid-column: span 2; }
.ait-card.ait-stale { opacity: 0.55; }
.ait-card.ait-alarm { border: 2px solid var(--ait-neg); }
.ait-card-title { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
.ait-help { cursor: help; color: var(--ait-muted); margin-left: 8px; font-weight: 600;
  font-size: 11px; display: inline-block; width: 15px; height: 15px; line-height: 15px;
  text-align: center; border: 1px solid var(--ait-muted); border-radius: 50%; }
.ait-table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.ait-table th { text-align: left; color: var(--ait-muted); font-weight: 500; white-space: nowrap;
  border-bottom: 1px solid var(--ait-border); padding: 3px 6px; }
.ait-table td { padding: 3px 6px; border-bottom: 1px solid var(--ait-border); white-space: nowrap; }
.ait-table tbody tr:nth-child(even) { background: var(--ait-stripe); }
.ait-empty { color: var(--ait-muted); font-style: italic; text-align: center; }
.ait-kv { border-collapse: collapse; margin: 0 0 6px 0; font-variant-numeric: tabular-nums; }
.ait-kv th { color: var(--ait-muted); font-weight: 500; text-align: left; padding: 2px 14px 2px 0;
  vertical-align: top; white-space: nowrap; }
.ait-kv td { padding: 2px 0; }
.ait-big { font-size: 20px; font-weight: 600; }
.ait-pos { color: var(--ait-pos); } .ait-neg { color: var(--ait-neg); }
.ait-muted { color: var(--ait-muted); }
.ait-badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 11px;
  font-weight: 600; color: var(--ait-badge-fg); background: var(--ait-info); margin-right: 4px;
  line-height: 16px; vertical-align: middle; }
.ait-badge-ok { background: var(--ait-pos); } .ait-badge-bad { background: var(--ait-neg); }
.ait-badge-warn { background: var(--ait-warn); } .ait-badge-muted { background: var(--ait-muted); }
.ait-bar { display: inline-block; width: 120px; height: 8px; background: var(--ait-bar-bg);
  border-radius: 4px; overflow: hidden; vertical-align: middle; margin-right: 6px; }
.ait-bar-fill { display: block; height: 100%; }
.ait-bar-ok { background: var(--ait-pos); } .ait-bar-warn { background: var(--ait-warn); }
.ait-bar-bad { background: var(--ait-neg); }
.ait-banner { background: var(--ait-neg); color: #fff; padding: 8px 12px; border-radius: 6px;
  margin-bottom: 10px; font-weight: 600; }
.ait-toasts { position: fixed; bottom: 12px; right: 12px; z-index: 1000; width: 420px; }
.ait-toast { background: var(--ait-card); color: var(--ait-fg);
  border-left: 4px solid var(--ait-neg);
  box-shadow: 0 2px 8px rgba(0,0,0,.25); padding: 4px 6px; margin-bottom: 6px; border-radius: 4px;
  align-items: center; }
.ait-toast.ait-toast-ok { border-left-color: var(--ait-pos); }
.ait-toast.ait-toast-info { border-left-color: var(--ait-info); }
.ait-note { font-size: 12px; }
.ait-note-ok { color: var(--ait-pos); } .ait-note-bad { color: var(--ait-neg); }
.ait-strategy-row { align-items: center; gap: 6px; border-bottom: 1px solid var(--ait-border); }
.ait-strategy-row .ait-cell { width: 130px; }
.ait-root a { color: var(--ait-info); }
.ait-chart .bk-root, .ait-chart { background: #ffffff; border-radius: 6px; }
</style>
"""
)
