"""The restricted master LP in HiGHS, grown in place by column and row generation (see ``Master``)."""

from __future__ import annotations

from collections import defaultdict

import highspy
import numpy as np

from panels.assignment.model import TOLERANCE, Model, balanced_loads
from panels.assignment.problem import ROLES

# The duals as reduced-cost terms: per member, per (case, role), and per case its affiliation rows in play.
Duals = tuple[np.ndarray, np.ndarray, dict[int, list[tuple[np.ndarray, float]]]]


class Master:
    """The restricted LP in HiGHS, grown in place so that every re-solve starts from the last basis.

    Columns: the candidate pairs, and each member's load segments within a window around their expected
    load (the segments below it are fixed at 1 through the member row's right-hand side, those above are
    left out; pricing moves the window when a fixed or left-out segment's reduced cost says it should).
    Rows: one per case (= panel size), one per member (pairs - segments = fixed segments), a ranged row per
    case and role whose range can bind, and one per case and affiliation shared by two of the case's first
    candidates — later ones only once a solution breaks them. An absent row counts with a zero dual; when
    pricing finds nothing and the solution breaks no absent row, that solution with those duals is optimal
    for the full LP.

    The costs are shifted by an estimate of the duals (a price per member from the balanced loads, a level
    per case): adding a multiple of an equality row to the objective changes it by a constant, but it starts
    the dual simplex near the optimum instead of at the slack basis' zero prices.
    """

    WINDOW = 4
    PER_CASE = 2  # columns entering per case and round
    MARGIN = 2  # candidates per case and role beyond the role's maximum

    def __init__(self, model: Model):
        self.model = model
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # The master has no redundancy worth presolving, and later solves start from a basis anyway.
        self.highs.setOptionValue("presolve", "off")
        n, m, w = model.n_cases, model.n_members, model.problem.weights["load"]
        size = model.problem.panel_size
        expected = balanced_loads(model)
        self.price = 2 * w * expected
        shifted = np.where(model.eligible, model.cost + self.price[None, :], np.inf)
        self.level, candidates = self._cheapest(shifted)
        estimate = np.rint(expected).astype(np.intp)
        self.fixed = np.maximum(estimate - self.WINDOW, 0)
        self.top = np.minimum(estimate + self.WINDOW, model.cap)
        self.present = np.zeros((n, m), dtype=bool)
        self.pair_case = np.zeros(0, dtype=np.intp)
        self.pair_member = np.zeros(0, dtype=np.intp)
        self.pair_column = np.zeros(0, dtype=np.intp)
        self.segment_k: list[np.ndarray] = []
        self.segment_column: list[np.ndarray] = []
        # Rows: cases, members, role ranges that can bind.
        binds = (model.lower > 0) | (model.upper < np.minimum(model.eligible_by_role, size))
        self.role_row = np.full((n, len(ROLES)), -1, dtype=np.intp)
        self.role_row[binds] = n + m + np.arange(int(binds.sum()))
        case_of, role_of = np.nonzero(binds)
        lower = np.concatenate([np.full(n, size), self.fixed, model.lower[case_of, role_of]]).astype(float)
        upper = np.concatenate([np.full(n, size), self.fixed, model.upper[case_of, role_of]]).astype(float)
        self.highs.addRows(
            lower.size, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        self.affiliation_row: dict[tuple[int, int], int] = {}
        self.solution = highspy.HighsSolution()  # of the last run
        for j in range(m):
            self._add_segments(j, self.fixed[j] + 1, self.top[j])
        # Each member's affiliations shared with another member, as a CSR-like list.
        shared = [[a for a in affs if a in model.affiliation_members] for affs in model.member_affiliations]
        self.affiliation_start = np.concatenate([[0], np.cumsum([len(a) for a in shared])]).astype(np.intp)
        self.affiliation_list = np.array([a for affs in shared for a in affs], dtype=np.intp)
        self.has_affiliation = np.diff(self.affiliation_start) > 0
        self.add_pairs(*np.nonzero(candidates))
        # Rows for the affiliations already shared among a case's candidates; later ones only once violated.
        self.add_affiliation_rows(self.shared_affiliations())

    def _cheapest(self, shifted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """From each case's cheapest members of each role at the estimated prices (``MARGIN`` beyond the
        role's maximum):

        * the candidates the first master starts with, so that it has a choice in every role;
        * the case's level, the estimated price of a seat: the dearest member of the cheapest panel that
          respects the role ranges (the lower bounds first, then the cheapest of what the upper bounds still
          allow), plus half the perturbation's scale.
        """
        model, size = self.model, self.model.problem.panel_size
        candidates = np.zeros_like(model.eligible)
        values, required = [], []
        for r in range(len(ROLES)):
            members = np.flatnonzero(model.role_of == r)
            most = min(int(model.upper[:, r].max()), members.size)
            if most == 0:
                continue
            keep = min(members.size, most + self.MARGIN)
            block = shifted[:, members]
            top = (
                np.argpartition(block, keep - 1, axis=1)[:, :keep]
                if keep < members.size
                else np.broadcast_to(np.arange(members.size), block.shape)
            )
            value = np.take_along_axis(block, top, axis=1)
            rows = np.repeat(np.arange(model.n_cases), keep)
            finite = np.isfinite(value).ravel()
            candidates[rows[finite], members[top].ravel()[finite]] = True
            values.append(np.sort(value, axis=1)[:, :most])
            required.append(np.arange(most)[None, :] < model.lower[:, r][:, None])
        value = np.concatenate(values, axis=1) if values else np.zeros((model.n_cases, 0))
        if value.shape[1] < size:
            return np.zeros(model.n_cases), candidates
        first = np.where(np.concatenate(required, axis=1), -np.inf, value)
        picked = np.take_along_axis(value, np.argpartition(first, size - 1, axis=1)[:, :size], axis=1)
        level = np.where(np.isfinite(picked), picked, -np.inf).max(axis=1)
        level = np.where(np.isfinite(level), level, 0.0)
        return level + 0.5 * model.problem.weights["perturbation"], candidates

    def _add_segments(self, member: int, first: int, last: int) -> None:
        if last < first:
            return
        k = np.arange(first, last + 1)
        w = self.model.problem.weights["load"]
        start = self.highs.getNumCol()
        self.highs.addCols(
            k.size,
            w * (2 * k - 1.0) - self.price[member],
            np.zeros(k.size),
            np.ones(k.size),
            k.size,
            np.arange(k.size, dtype=np.int32),
            np.full(k.size, self.model.n_cases + member, dtype=np.int32),
            -np.ones(k.size),
        )
        self.segment_k.append(k)
        self.segment_column.append(start + np.arange(k.size))

    def add_pairs(self, cases: np.ndarray, members: np.ndarray) -> None:
        """Columns for these pairs, in their case's, member's and role's rows and in any affiliation row of
        their case that one of the member's affiliations already has."""
        model, n = self.model, self.model.n_cases
        if cases.size == 0:
            return
        start = self.highs.getNumCol()
        column = np.arange(cases.size)
        role_row = self.role_row[cases, model.role_of[members]]
        entry_column = [column, column, column[role_row >= 0]]
        entry_row = [cases, n + members, role_row[role_row >= 0]]
        if self.affiliation_row:
            # Rows of the case's affiliations that the member shares (one lookup per membership).
            which, affiliations = self._affiliations_of(members)
            rows = np.array(
                [
                    self.affiliation_row.get(key, -1)
                    for key in zip(cases[which].tolist(), affiliations.tolist(), strict=True)
                ],
                dtype=np.intp,
            )
            entry_column.append(which[rows >= 0])
            entry_row.append(rows[rows >= 0])
        columns = np.concatenate(entry_column)
        order = np.argsort(columns, kind="stable")
        index = np.concatenate(entry_row)[order].astype(np.int32)
        starts = np.searchsorted(columns[order], column).astype(np.int32)
        cost = model.cost[cases, members] + self.price[members] - self.level[cases]
        self.highs.addCols(
            cases.size,
            cost,
            np.zeros(cases.size),
            np.ones(cases.size),
            index.size,
            starts,
            index,
            np.ones(index.size),
        )
        self.present[cases, members] = True
        self.pair_case = np.concatenate([self.pair_case, cases])
        self.pair_member = np.concatenate([self.pair_member, members])
        self.pair_column = np.concatenate([self.pair_column, start + np.arange(cases.size)])

    def _affiliations_of(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each member's shared affiliations, flattened: (index into ``members``, affiliation)."""
        counts = self.affiliation_start[members + 1] - self.affiliation_start[members]
        which = np.repeat(np.arange(members.size), counts)
        offsets = np.arange(which.size) - np.repeat(np.cumsum(counts) - counts, counts)
        return which, self.affiliation_list[np.repeat(self.affiliation_start[members], counts) + offsets]

    def _memberships(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For pairs at these positions: (case, affiliation, position) once per shared affiliation of the
        member, sorted by case and affiliation."""
        which, affiliations = self._affiliations_of(self.pair_member[positions])
        expanded = positions[which]
        cases = self.pair_case[expanded]
        order = np.lexsort((expanded, affiliations, cases))
        return cases[order], affiliations[order], expanded[order]

    def _groups(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (case, affiliation) groups among these pairs: each group's case and affiliation, the start of
        its run in ``expanded`` (pair positions, grouped)."""
        cases, affiliations, expanded = self._memberships(positions)
        starts = (
            np.r_[0, np.flatnonzero((np.diff(cases) != 0) | (np.diff(affiliations) != 0)) + 1]
            if cases.size
            else np.zeros(0, dtype=np.intp)
        )
        return cases[starts], affiliations[starts], starts, expanded

    def add_affiliation_rows(self, keys: list[tuple[int, int]]) -> None:
        """At most one member of the affiliation on the case: one row per key, over its present columns."""
        wanted = set(keys) - set(self.affiliation_row)
        if not wanted:
            return
        cases = np.array(sorted({c for c, _ in wanted}))
        positions = np.flatnonzero(np.isin(self.pair_case, cases) & self.has_affiliation[self.pair_member])
        group_case, group_affiliation, starts, expanded = self._groups(positions)
        ends = np.r_[starts[1:], expanded.size]
        rows: list[tuple[int, int]] = []
        entries: list[np.ndarray] = []
        for c, a, begin, end in zip(
            group_case.tolist(), group_affiliation.tolist(), starts.tolist(), ends.tolist(), strict=True
        ):
            if (c, a) in wanted:
                self.affiliation_row[(c, a)] = self.highs.getNumRow() + len(rows)
                rows.append((c, a))
                entries.append(self.pair_column[expanded[begin:end]])
        counts = np.array([e.size for e in entries], dtype=np.int32)
        self.highs.addRows(
            len(rows),
            np.full(len(rows), -highspy.kHighsInf),
            np.ones(len(rows)),
            int(counts.sum()),
            np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32),
            np.concatenate(entries).astype(np.int32),
            np.ones(int(counts.sum())),
        )

    def shared_affiliations(self) -> list[tuple[int, int]]:
        """(case, affiliation) pairs with two or more columns: the rows the first master starts with."""
        group_case, group_affiliation, starts, expanded = self._groups(
            np.flatnonzero(self.has_affiliation[self.pair_member])
        )
        size = np.diff(np.r_[starts, expanded.size])
        return list(zip(group_case[size > 1].tolist(), group_affiliation[size > 1].tolist(), strict=True))

    def violated_affiliations(self) -> list[tuple[int, int]]:
        x = np.asarray(self.solution.col_value)[self.pair_column]
        positions = np.flatnonzero(self.has_affiliation[self.pair_member] & (x > TOLERANCE))
        group_case, group_affiliation, starts, expanded = self._groups(positions)
        if starts.size == 0:
            return []
        over = np.add.reduceat(x[expanded], starts) > 1 + TOLERANCE
        return [
            key
            for key in zip(group_case[over].tolist(), group_affiliation[over].tolist(), strict=True)
            if key not in self.affiliation_row
        ]

    def run(self) -> str:
        self.highs.run()
        self.solution = self.highs.getSolution()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            # Later rounds change little: Devex pricing avoids recomputing exact edge weights each time.
            self.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
            return "optimal"
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "infeasible"
        raise RuntimeError(f"the LP solver stopped: {self.highs.modelStatusToString(status)}")

    def duals(self) -> Duals:
        """The current duals as reduced-cost terms: per member, per (case, role), and per case the
        affiliation rows with a nonzero dual (members, dual). An absent row's dual is zero."""
        model, n, m = self.model, self.model.n_cases, self.model.n_members
        y = np.asarray(self.solution.row_dual)
        member_term = self.price - y[n : n + m]
        role_dual = np.where(self.role_row >= 0, y[np.maximum(self.role_row, 0)], 0.0)
        case_term = (self.level + y[:n])[:, None] + role_dual
        affiliation: dict[int, list[tuple[np.ndarray, float]]] = defaultdict(list)
        for (c, a), row in self.affiliation_row.items():
            if y[row] != 0:
                affiliation[c].append((model.affiliation_members[a], float(y[row])))
        return member_term, case_term, affiliation

    def absent_below(
        self, threshold: float, duals: Duals | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eligible pairs without a column whose reduced cost is below the threshold: (cases, members,
        reduced costs), computed a block of cases at a time so that no case x member temporary is made."""
        model = self.model
        member_term, case_term, affiliation = duals if duals is not None else self.duals()
        found_cases, found_members, found_values = [], [], []
        step = max(1, (1 << 21) // max(1, model.n_members))
        for first in range(0, model.n_cases, step):
            rows = slice(first, min(first + step, model.n_cases))
            reduced = model.cost[rows] + member_term[None, :]
            reduced -= case_term[rows][:, model.role_of]
            for c in range(rows.start, rows.stop):
                for members, dual in affiliation.get(c, ()):
                    reduced[c - first, members] -= dual
            hit = model.eligible[rows] & ~self.present[rows] & (reduced < threshold)
            cases, members = np.nonzero(hit)
            found_cases.append(cases + first)
            found_members.append(members)
            found_values.append(reduced[cases, members])
        return np.concatenate(found_cases), np.concatenate(found_members), np.concatenate(found_values)

    def price_out(self) -> bool:
        """Add what the duals say could lower the cost (pairs; segments beyond either end of a window) and
        the affiliation rows the solution violates. False when there is nothing: the master's optimum is
        then the full LP's."""
        model, n, m = self.model, self.model.n_cases, self.model.n_members
        w = model.problem.weights["load"]
        member_dual = np.asarray(self.solution.row_dual)[n : n + m]
        cases, members, values = self.absent_below(-TOLERANCE)
        violated = self.violated_affiliations()
        self.add_affiliation_rows(violated)
        changed = bool(violated)
        # Segments: the last fixed one must not want to leave, the first left-out one must not want to enter.
        segment_dual = -self.price + member_dual
        unfix = (self.fixed > 0) & (w * (2 * self.fixed - 1) + segment_dual > TOLERANCE)
        extend = (self.top < model.cap) & (w * (2 * self.top + 1) + segment_dual < -TOLERANCE)
        for j in np.flatnonzero(unfix):
            first = max(0, int(self.fixed[j]) - self.WINDOW)
            self._add_segments(int(j), first + 1, int(self.fixed[j]))
            self.fixed[j] = first
            self.highs.changeRowBounds(n + int(j), float(first), float(first))
            changed = True
        for j in np.flatnonzero(extend):
            last = min(int(model.cap[j]), int(self.top[j]) + self.WINDOW)
            self._add_segments(int(j), int(self.top[j]) + 1, last)
            self.top[j] = last
            changed = True
        if cases.size:
            order = np.lexsort((members, values, cases))
            cases, members = cases[order], members[order]
            first = np.r_[0, np.flatnonzero(np.diff(cases)) + 1]
            rank = np.arange(cases.size) - np.repeat(first, np.diff(np.r_[first, cases.size]))
            keep = rank < self.PER_CASE
            self.add_pairs(cases[keep], members[keep])
            changed = True
        return changed

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.asarray(self.solution.col_value)
        return self.pair_case, self.pair_member, x[self.pair_column]

    def objective(self) -> float:
        """The true objective of the current solution: pair costs plus each member's load cost."""
        x = np.asarray(self.solution.col_value)
        w = self.model.problem.weights["load"]
        pairs = float(self.model.cost[self.pair_case, self.pair_member] @ x[self.pair_column])
        k = np.concatenate(self.segment_k)
        segments = float((w * (2 * k - 1.0)) @ x[np.concatenate(self.segment_column)])
        return pairs + segments + float(w * (self.fixed.astype(float) ** 2).sum())

    def release_segments(self) -> None:
        """Every load segment back in as a column: no load is fixed or out of reach any more."""
        model, n = self.model, self.model.n_cases
        for j in range(model.n_members):
            self._add_segments(j, 1, int(self.fixed[j]))
            self._add_segments(j, int(self.top[j]) + 1, int(model.cap[j]))
            if self.fixed[j]:
                self.highs.changeRowBounds(n + j, 0.0, 0.0)
        self.fixed[:] = 0
        self.top[:] = model.cap

    def integer(self) -> bool:
        """Branch and bound (HiGHS's MIP solver) over the master's columns, every affiliation row in; False
        if no integral solution uses only them."""
        self.release_segments()
        self.add_affiliation_rows(self.shared_affiliations())
        columns = self.pair_column.astype(np.int32)
        self.highs.changeColsIntegrality(
            columns.size, columns, np.full(columns.size, highspy.HighsVarType.kInteger)
        )
        self.highs.run()
        self.solution = self.highs.getSolution()
        return self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
