"""A small linear programme solved by HiGHS through its own Python binding (``highspy``, pinned in the
project's dependencies, so that a plan does not change with the SciPy installed).

The model is the one ``scipy.optimize.linprog(method="highs")`` hands HiGHS (the columns of ``A`` in
compressed-column form, explicit zeros left out; infinite row bounds at HiGHS's infinity; presolve on; dual
simplex), without the checks and conversions around it, which cost more than the solve for the LPs of a few
hundred columns the policies re-solve as a run goes (``lookahead``'s scarcity prices)."""

from __future__ import annotations

import threading

import highspy
import numpy as np

_LOCAL = threading.local()


def _solver():
    """The thread's HiGHS instance, made once: a ``highspy.Highs`` holds references to itself (its callbacks)
    that only the cyclic collector frees, so one a solve would pile up over a run of thousands (300 MB over a
    minute-level day); one a thread, because a sweep may run several simulations in threads of one process."""
    h = getattr(_LOCAL, "highs", None)
    if h is None:
        h = _LOCAL.highs = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("presolve", "on")
        h.setOptionValue("simplex_strategy", 1)  # dual simplex, as linprog asks
    return h


def _model(c, col_lower, col_upper, row_lower, row_upper, start, index, value):
    """A HiGHS model: ``c @ x`` over the column and row bounds, the matrix by columns (CSC ``start``, ``index``,
    ``value``)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(start) - 1, len(row_lower)
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.asarray(col_lower, dtype=float), np.asarray(col_upper, dtype=float)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lower, dtype=float), np.asarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
    return lp


def solve_lp(c, a_ub, b_ub, upper):
    """Minimise ``c @ x`` subject to ``a_ub @ x <= b_ub`` and ``0 <= x <= upper`` (dense ``a_ub``).

    Returns ``(x, duals)``, ``duals`` being the rows' dual values (``linprog``'s ``ineqlin.marginals``:
    <= 0 for a binding row of a minimisation), or None if HiGHS finds no optimum."""
    a = np.asarray(a_ub, dtype=float)
    n_rows, n_cols = a.shape
    cols, rows = np.nonzero(a.T)  # column by column, rows ascending within each: compressed-column order
    lp = _model(
        c,
        np.zeros(n_cols),
        np.where(np.isinf(upper), highspy.kHighsInf, np.asarray(upper, dtype=float)),
        np.full(n_rows, -highspy.kHighsInf),
        np.where(np.isinf(b_ub), highspy.kHighsInf, np.asarray(b_ub, dtype=float)),
        np.r_[0, np.cumsum(np.bincount(cols, minlength=n_cols))].astype(np.int32),
        rows.astype(np.int32),
        a[rows, cols],
    )
    h = _solver()
    h.clearSolver()  # no basis or solution carried over from the last LP: each is solved from scratch
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    return np.array(solution.col_value), np.array(solution.row_dual)


# A model status -> the word of programme.Solution.status (scipy.optimize.milp's status codes, as words).
_MILP_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "time_limit",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kModelError: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
}
_WITH_SOLUTION = (
    highspy.HighsModelStatus.kOptimal,
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
)


def solve_milp(c, a_csc, row_lower, row_upper, col_lower, col_upper, integrality, time_limit_s, mip_rel_gap):
    """Minimise ``c @ x`` subject to ``row_lower <= A x <= row_upper``, the column bounds and ``integrality``
    (1: integer), ``A`` a ``scipy.sparse`` CSC array: the model and options ``scipy.optimize.milp`` hands HiGHS
    (HiGHS's defaults otherwise), on a fresh instance. Returns (status word, x or None, the MIP's dual bound)."""
    lp = _model(
        c, col_lower, col_upper, row_lower, row_upper, a_csc.indptr, a_csc.indices, a_csc.data.astype(np.float64)
    )
    integrality = np.asarray(integrality, dtype=np.uint8)
    is_mip = bool(integrality.sum() > 0)
    if integrality.size:
        lp.integrality_ = [highspy.HighsVarType(int(i)) for i in integrality]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    word = _MILP_STATUS.get(status, "error")
    solved = status == highspy.HighsModelStatus.kOptimal or (
        is_mip and status in _WITH_SOLUTION and info.objective_function_value != highspy.kHighsInf
    )
    if not solved:
        return word, None, None
    x = np.array(h.getSolution().col_value)
    return word, x, (info.mip_dual_bound if is_mip else None)
