"""Panels other apps add to the clinician's chart page, without records importing them.

records owns the chart (records.record_views.patient_record) and decides who may open it (records.access); apps
*above* records hold data that belongs on it — home monitoring's vitals, for one. They register a *panel source*
here from their ``AppConfig.ready``; the chart asks every source, in ``order``, **only after** records.access has
allowed the viewer to read the patient's clinical record (and written its audit row), so a clinician without a
care relationship gets no panel at all: the page is refused before any source is asked.

A source is ``fn(*, patient, viewer) -> ChartPanel | None``: the panel's title and its HTML, rendered by the
contributing app from its own template (records does not know its data), or None when it has nothing to show for
this patient. A source must read in a fixed number of queries, whatever the patient's history.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.safestring import SafeString


@dataclass(frozen=True)
class ChartPanel:
    key: str  # ASCII, unique per source: used in element ids
    title: str
    html: SafeString
    order: int = 100


PanelSource = Callable[..., ChartPanel | None]
_sources: dict[str, PanelSource] = {}


def register_chart_panel(fn: PanelSource, *, name: str | None = None) -> PanelSource:
    """Add a panel source. Registering the same name again replaces it (ready() may run twice)."""
    _sources[name or f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def unregister_chart_panel(name: str) -> None:
    _sources.pop(name, None)


def chart_panels(*, patient, viewer) -> list[ChartPanel]:
    """Every source's panel for `patient` as `viewer` sees it. Call only after records.access allowed the read."""
    panels = [panel for fn in list(_sources.values()) if (panel := fn(patient=patient, viewer=viewer)) is not None]
    return sorted(panels, key=lambda panel: (panel.order, panel.key))
