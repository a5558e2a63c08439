"""The study as a PNG: the objective against minutes of training for every
trial (pruned ones grey and dashed, running ones dotted), and beside it the
parameters' importances where Optuna can estimate them.

``draw(study, trials, space, path)`` writes the picture whole (a temporary
name, then a rename) and returns a note about what it had to leave out, or
None. ``curves`` and ``importances`` are the parts without matplotlib.
"""

from ..fileio import atomic_path
from .space import FIGURES

_COLUMN = {name: i + 1 for i, name in enumerate(FIGURES)}  # in a curve's rows


def curves(trials, figure):
    """{trial number: (state, [minutes], [figure])} from each trial's
    ``curve`` attribute (recorded at every evaluation, so running trials
    show too)."""
    out = {}
    for t in trials:
        curve = t.user_attrs.get("curve") or {}
        points = sorted((int(step), row) for step, row in curve.items())
        xs = [row[0] for _, row in points if row[_COLUMN[figure]] is not None]
        ys = [row[_COLUMN[figure]] for _, row in points if row[_COLUMN[figure]] is not None]
        if xs:
            out[t.number] = (t.state.name, xs, ys)
    return out


def importances(study, trials):
    """({parameter: importance}, None), or (None, why there are none)."""
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if len(complete) < 2:
        return None, f"importances need 2 complete trials, the study has {len(complete)}"
    try:
        import optuna
        found = optuna.importance.get_param_importances(study)
    except Exception as e:  # noqa: BLE001 - e.g. every trial with the same values
        return None, "no importances: " + " ".join(str(e).split())[:120]
    if not found:
        return None, "no importances: no parameter varied"
    return dict(found), None


def draw(study, trials, space, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure = space.objective
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100,
                                 gridspec_kw={"width_ratios": [3, 2]})
    lines = curves(trials, figure)
    colours = plt.get_cmap("tab10").colors
    for i, (number, (state, xs, ys)) in enumerate(sorted(lines.items())):
        if state == "PRUNED":
            style = dict(color="0.6", ls="--", lw=1)
        elif state == "COMPLETE":
            style = dict(color=colours[i % 10], lw=1.6)
        else:  # running, or failed part-way
            style = dict(color=colours[i % 10], ls=":", lw=1.2)
        ax.plot(xs, ys, marker="o", ms=2.5, label=f"{number} {state.lower()}", **style)
    if figure == "fid" and lines and min(min(ys) for _, _, ys in lines.values()) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("minutes of training (evaluations excluded)")
    better = "lower" if space.direction == "minimize" else "higher"
    ax.set_ylabel(f"{figure}, {space.eval_num} samples ({better} is better)")
    ax.set_title(f"{len(lines)} trials; grey dashed: pruned", fontsize=9)
    ax.grid(alpha=0.3)
    if lines and len(lines) <= 20:
        ax.legend(fontsize=7, ncol=2)
    if not lines:
        ax.text(0.5, 0.5, "no evaluation yet", ha="center", transform=ax.transAxes)
    found, note = importances(study, trials)
    if found:
        names = sorted(found, key=found.get)
        bx.barh(names, [found[n] for n in names], color="tab:blue")
        bx.set_xlabel("importance (Optuna, complete trials)")
        bx.tick_params(axis="y", labelsize=8)
    else:
        bx.axis("off")
        bx.text(0.5, 0.5, note, ha="center", va="center", wrap=True, fontsize=9,
                transform=bx.transAxes)
    bx.set_title("parameter importances", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return note
