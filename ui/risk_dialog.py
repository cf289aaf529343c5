"""Setting a chart's risk tier by hand (Ctrl+Shift+R), or back to the computed one, with a reason;
the earlier settings are listed with who and when."""
from __future__ import annotations

from application.chart import Chart
from application.risk import set_risk_tier
from domain.risk import TIER_LABELS, TIERS
from ui import format as fmt
from ui.record_form import Field, FormDialog

COMPUTED = "computed"


def risk_history_text(chart: Chart) -> str:
    if chart.risk is None or not chart.risk.overrides:
        return "Never set by hand."
    return "Set by hand before:\n" + "\n".join(f"• {fmt.local_datetime(o.at)} by {o.by}: "
                     + (f"{TIER_LABELS.get(o.tier, o.tier)} — {o.reason}" if o.tier else f"back to computed — {o.reason}")
                     for o in chart.risk.overrides)


def open_risk_dialog(context, chart: Chart, parent) -> FormDialog:
    p = chart.patient
    explanation = chart.risk.explanation if chart.risk is not None else "No risk tier computed yet."
    computed = f"Computed tier ({fmt.risk(p.risk_tier)})" if p.risk_tier else "Computed tier (none yet)"
    choices = ((computed, COMPUTED),) + tuple((TIER_LABELS[t], t) for t in reversed(TIERS))
    pod, pid = context.pod, p.id
    dialog = FormDialog(context, f"Risk tier of {p.display_name}", [
        Field("tier", "Tier", "choice", p.risk_override or COMPUTED, choices),
        Field("reason", "Reason", hint="what the score cannot know, e.g. lives alone after recent falls"),
    ], lambda v: set_risk_tier(pod, pid, None if v["tier"] == COMPUTED else v["tier"], v["reason"]), parent,
        intro=f"Computed: {explanation}\n\n{risk_history_text(chart)}", ok_text="Save tier")
    dialog.setMinimumWidth(640)
    dialog.open()
    return dialog
