"""The kernel's synapse tables (``RunState._build_pathways``): 32-bit indices where the
network's sizes allow and 64-bit beyond, tables that describe the connectivity synapse
for synapse (checked against a naive construction here), results that do not depend on
the index width, the memory report ``RunState.table_bytes()``, and the provenance helpers
the preparation of a run calls (the connectivity digest, the git commit).

Results against independent references are the other suites' job (Brian2 oracle,
pure-Python reference kernels); they run unchanged on these tables."""

import hashlib
import importlib
import shutil
import subprocess

import numpy as np
import pytest

import neurolab as nl
from neurolab.base import io

S = importlib.import_module("neurolab.engine.tables")


# ----------------------------------------------------------------------------- dtypes
def test_index_dtype_is_32_bit_up_to_2_31_minus_1():
    assert S.INDEX32_MAX == 2 ** 31 - 1
    for count in (0, 1, 50_000, 5_000_000, 2 ** 31 - 2, 2 ** 31 - 1):
        assert S.index_dtype(count) == np.int32, count
    # beyond the limit (no allocation: the rule reads the count only)
    for count in (2 ** 31, 2 ** 31 + 1, 3 * 10 ** 9, 2 ** 40):
        assert S.index_dtype(count) == np.int64, count
    assert S.index_dtype(np.int64(2 ** 31)) == np.int64
    with pytest.raises(ValueError, match="count must be >= 0, got -1"):
        S.index_dtype(-1)


def _mixed_network(seed=3):
    """Static and plastic projections, one delay and several, synapses in and out of
    presynaptic order (explicit), subgroups: every path of the table builder."""
    net = nl.Network(dt=0.1, seed=seed)
    src = net.add_poisson("src", n=60, rates=40.0)
    exc = net.add_lif("exc", n=40, params=nl.LIFParams(synapse="current", v_rest=-55.0,
                                                         refractory=2.0))
    inh = net.add_lif("inh", n=10, params=nl.LIFParams(synapse="current", v_rest=-55.0))
    rng = np.random.default_rng(7)
    m = 900
    pre = rng.integers(0, 60, m)                          # not sorted by presynaptic id
    post = rng.integers(0, 40, m)
    stdp = nl.STDPParams(A_plus=0.02, A_minus=0.021, w_max=3.0)
    net.connect(src, exc, rule="explicit", pre_ids=pre, post_ids=post,
                weight=("uniform", 0.5, 2.5), delay=rng.choice([0.1, 0.5, 1.2], m),
                stdp=stdp, name="src->exc")
    net.connect(exc, exc, rule="fixed_indegree", k=8, weight=("uniform", 0.2, 1.5),
                delay=1.0, stdp=stdp, autapses=False, name="exc->exc")
    net.connect(exc, inh, rule="probability", p=0.3, weight=1.0, delay=("uniform", 0.1, 2.0),
                name="exc->inh")
    net.connect(inh, exc, rule="fixed_indegree", k=4, weight=2.0, receptor="inh",
                name="inh->exc")
    net.connect(src[10:50], inh[2:8], rule="explicit", pre_ids=pre[:50] % 40,
                post_ids=post[:50] % 6, weight=0.7, stdp=stdp, name="sub")
    return net


def test_tables_of_a_normal_network_use_32_bit_indices():
    net = _mixed_network()
    st = net._ensure_state()
    for name in ("syn_post", "col_syn", "col_pre"):
        assert getattr(st.syn, name).dtype == np.int32, name
    for name, perm in st.perm.items():
        assert perm.dtype == np.int32, name
    for name in ("row_ptr", "col_ptr"):                   # per neuron: int64
        assert getattr(st.syn, name).dtype == np.int64, name


def test_tables_beyond_the_limit_use_64_bit_indices(monkeypatch):
    monkeypatch.setattr(S, "INDEX32_MAX", 100)      # a small network "beyond the limit"
    st = _mixed_network()._ensure_state()
    assert st.n_total > 100 and st.syn.syn_post.shape[0] > 100
    for name in ("syn_post", "col_syn", "col_pre"):
        assert getattr(st.syn, name).dtype == np.int64, name
    assert all(p.dtype == np.int64 for p in st.perm.values())
    # neurons below the limit, synapses above it: each array follows its own count
    monkeypatch.setattr(S, "INDEX32_MAX", st.n_total)
    st = _mixed_network()._ensure_state()
    assert st.syn.syn_post.dtype == st.syn.col_pre.dtype == np.int32
    assert st.syn.col_syn.dtype == np.int64
    assert all(p.dtype == np.int64 for p in st.perm.values())


# ----------------------------------------------------------------------------- contents
def test_tables_describe_the_connectivity_synapse_for_synapse():
    """Every synapse of every projection, found through the kernel's tables: in the row of
    its presynaptic neuron in the pathway of its delay, with its target and weight, and in
    the column of its postsynaptic neuron (plastic), columns in kernel order."""
    net = _mixed_network()
    st = net._ensure_state()
    syn = st.syn
    for name, proj in net.projections.items():
        pre_lo, post_lo = st.offset[proj.pre.name], st.offset[proj.post.name]
        rows = st.pathways_of[name]
        steps = np.rint(proj.delay / net.dt).astype(int)
        assert sorted(int(syn.pw_i[p, S.K.DELAY]) for p in rows) == sorted(set(steps.tolist()))
        perm = st.perm[name]
        assert sorted(perm.tolist()) == list(range(int(perm.min()), int(perm.min())
                                                   + proj.n_syn))
        onto = {}                                  # (pathway, local post) -> kernel synapses
        weight = proj.weight
        for k in range(proj.n_syn):
            s = int(perm[k])
            assert int(syn.syn_post[s]) == post_lo + int(proj.post_ids[k])
            assert syn.syn_w[s] == weight[k]
            p = next(p for p in rows if syn.pw_i[p, S.K.DELAY] == steps[k])
            r = syn.pw_i[p, S.K.ROW_OFF] + int(proj.pre_ids[k])
            assert syn.row_ptr[r] <= s < syn.row_ptr[r + 1]
            onto.setdefault((p, int(proj.post_ids[k])), []).append(s)
        for p in rows:
            assert syn.pw_i[p, S.K.PLASTIC] == (proj.stdp is not None)
            if proj.stdp is None:
                continue
            for c in range(proj.post.n):
                t0 = syn.col_ptr[syn.pw_i[p, S.K.COL_OFF] + c]
                t1 = syn.col_ptr[syn.pw_i[p, S.K.COL_OFF] + c + 1]
                assert syn.col_syn[t0:t1].tolist() == sorted(onto.get((p, c), []))
                for t in range(t0, t1):
                    k = int(np.flatnonzero(perm == syn.col_syn[t])[0])
                    assert int(syn.col_pre[t]) == pre_lo + int(proj.pre_ids[k])


@pytest.mark.parametrize("n_keys", [1, 7, 40_000, 1 << 16, (1 << 16) + 1, 300_000,
                                    (1 << 31) - 1])
def test_stable_order_is_numpys_stable_argsort(n_keys):
    rng = np.random.default_rng(n_keys)
    for size in (0, 1, 5000):
        keys = rng.integers(0, n_keys, size).astype(np.int64)
        if size and n_keys > 1:
            keys[: size // 3] = keys[0]                       # many ties
        np.testing.assert_array_equal(S._stable_order(keys, n_keys),
                                      np.argsort(keys, kind="stable"))


def test_results_do_not_depend_on_the_index_width(monkeypatch):
    """Same seed: the same spikes and weights with 32-bit and with 64-bit tables (the
    kernel compiled for each), for a network with every kind of pathway."""
    def run():
        net = _mixed_network()
        res = net.run(150.0, record_spikes="all", progress=False)
        return net, res

    net32, a = run()
    assert net32._state.syn.syn_post.dtype == np.int32
    monkeypatch.setattr(S, "INDEX32_MAX", 10)
    net64, b = run()
    assert net64._state.syn.syn_post.dtype == np.int64
    assert a.spikes["exc"].t.size > 50 and a.spikes["inh"].t.size > 10   # active
    for name in a.spikes:
        np.testing.assert_array_equal(a.spikes[name].t, b.spikes[name].t)
        np.testing.assert_array_equal(a.spikes[name].i, b.spikes[name].i)
    for name, w in a.final_weights.items():
        assert w.tobytes() == b.final_weights[name].tobytes(), name
    assert not np.array_equal(a.final_weights["exc->exc"], net32.projections["exc->exc"]
                              ._weight)                           # they learned


def test_set_and_get_weights_through_the_tables():
    net = _mixed_network()
    net.run(1.0, progress=False)
    for name, proj in net.projections.items():
        w = np.linspace(0.1, 1.0, proj.n_syn)
        proj.weight = w
        assert proj.weight.tobytes() == w.tobytes(), name
        got = proj.weight
        got[:] = 0.0                                        # a copy
        assert proj.weight.tobytes() == w.tobytes(), name


# ----------------------------------------------------------------------------- memory
def test_table_bytes_per_synapse():
    net = _mixed_network()
    st = net._ensure_state()
    tb = st.table_bytes()
    n_plastic = sum(p.n_syn for p in net.projections.values() if p.stdp is not None)
    n_static = sum(p.n_syn for p in net.projections.values() if p.stdp is None)
    # syn_post 4 + syn_w 8 + perm 4; plastic adds col_syn 4 + col_pre 4 (issue 11's
    # targets: <= 16 and <= 24)
    assert tb["static_per_synapse"] == 16
    assert tb["plastic_per_synapse"] == 24
    assert tb["per_synapse_arrays"] == {"syn_post": 4, "syn_w": 8, "perm": 4, "col_syn": 4,
                                        "col_pre": 4}
    assert (tb["n_static"], tb["n_plastic"]) == (n_static, n_plastic)
    assert tb["synapse_bytes"] == 16 * n_static + 24 * n_plastic
    assert tb["rule_state_bytes"] == 0
    assert tb["per_neuron_bytes"]["row_ptr"] == 8 * st.syn.row_ptr.size
    assert tb["total_bytes"] == (tb["synapse_bytes"] + tb["rule_state_bytes"]
                                 + sum(tb["per_neuron_bytes"].values()))


# ----------------------------------------------------------------------------- provenance
def _old_digest(proj):
    return hashlib.sha256(proj.pre_ids.tobytes() + proj.post_ids.tobytes()).hexdigest()


def test_connectivity_digest_is_recorded_as_before_and_cached_safely():
    net = _mixed_network()
    before = {p["name"]: p["connectivity_sha256"] for p in net.to_dict()["projections"]}
    assert before == {k: _old_digest(p) for k, p in net.projections.items()}
    res = net.run(1.0, progress=False)
    recorded = {p["name"]: p["connectivity_sha256"]
                for p in res.params["network"]["projections"]}
    assert recorded == before
    proj = net.projections["exc->exc"]
    # the structure is fixed by the run: the ids cannot change in place any more
    with pytest.raises(ValueError, match="read-only"):
        proj.pre_ids[0] = 1
    assert net.run(1.0, progress=False).params["network"]["projections"][1][
        "connectivity_sha256"] == before["exc->exc"]
    # replaced arrays are hashed afresh, never answered from the cache (before a run:
    # afterwards the ids cannot be replaced, see below)
    fresh = _mixed_network()
    other = fresh.projections["exc->exc"]
    other.pre_ids.flags.writeable = other.post_ids.flags.writeable = False
    assert fresh.to_dict()["projections"][1]["connectivity_sha256"] == before["exc->exc"]
    other.pre_ids = other.pre_ids[::-1].copy()              # remembered digest: not these
    other.pre_ids.flags.writeable = False
    assert fresh.to_dict()["projections"][1]["connectivity_sha256"] == _old_digest(other)
    assert _old_digest(other) != before["exc->exc"]


@pytest.mark.parametrize("which", ["pre_ids", "post_ids"])
def test_ids_cannot_be_replaced_once_the_structure_is_fixed(which):
    """The kernel keeps the synapses it was built with: an array assigned to ``pre_ids``
    or ``post_ids`` afterwards would make the provenance (digest), ``SimResult.connectivity``
    and the weight records describe other synapses than the ones simulated."""
    net = _mixed_network()
    proj = net.projections["exc->exc"]
    ids = getattr(proj, which)
    net.run(1.0, progress=False)
    with pytest.raises(RuntimeError, match=rf"cannot replace {which} of projection "
                                           r"'exc->exc': .*structure is fixed.*t = 1 ms"):
        setattr(proj, which, ids[::-1].copy())
    assert getattr(proj, which) is ids
    res = net.run(1.0, progress=False, record_weights={"exc->exc": [0, 1]})
    np.testing.assert_array_equal(res.connectivity["exc->exc"][0 if which == "pre_ids" else 1],
                                  ids)
    assert res.params["network"]["projections"][1]["connectivity_sha256"] == _old_digest(proj)


def _git(cwd, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                           "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def _expected_commit(where):
    """What git itself says, asked the long way: rev-parse HEAD, then status."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                          text=True)
    if head.returncode != 0:
        return None
    status = _git(where, "status", "--porcelain", "--untracked-files=no", "--", ":(top)",
                  ":(top,exclude)results", ":(top,exclude)data")
    return head.stdout.strip() + ("-dirty" if status else "")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("fallback", [False, True])
def test_git_commit_answers_what_git_says(tmp_path, monkeypatch, fallback):
    if fallback:             # a git without `status --porcelain=v2 --no-ahead-behind`
        real = subprocess.run

        def old_git(cmd, *args, **kwargs):
            if "--porcelain=v2" in cmd:
                return subprocess.CompletedProcess(cmd, 129, "", "unknown option")
            return real(cmd, *args, **kwargs)
        monkeypatch.setattr(io.subprocess, "run", old_git)
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "pkg" / "mod.py").write_text("a\n")
    (repo / "results").mkdir()
    (repo / "results" / "fig.png").write_text("figure\n")
    assert io.git_commit(repo) is None                 # no commit yet
    _git(repo, "add", ".")
    assert io.git_commit(repo) is None
    _git(repo, "commit", "-q", "-m", "one")
    dirty = []

    def check():
        got = io.git_commit(repo / "pkg")
        assert got == _expected_commit(repo)
        dirty.append(got.endswith("-dirty"))

    check()                                                       # clean
    (repo / "results" / "fig.png").write_text("another figure\n")
    check()                                                       # results/ only
    (repo / "pkg" / "mod.py").write_text("b\n")
    check()                                                       # modified
    _git(repo, "add", "pkg/mod.py")
    check()                                                       # staged
    _git(repo, "commit", "-q", "-m", "two")
    check()                                                       # committed
    _git(repo, "checkout", "-q", "--detach", "HEAD~1")
    check()                                                       # detached
    assert io.git_commit(repo / "pkg").startswith(_git(repo, "rev-parse", "HEAD"))
    (repo / "pkg" / "new.py").write_text("untracked\n")
    check()                                                       # untracked only
    (repo / "pkg" / "mod.py").write_text("c\n")
    check()                                                       # modified again
    assert dirty == [False, False, True, True, False, False, False, True]
    assert io.git_commit(tmp_path / "nowhere") is None
    # one git process per call (three where the one-call form is refused)
    calls = []
    inner = subprocess.run

    def spy(cmd, *args, **kwargs):
        calls.append(cmd)
        return inner(cmd, *args, **kwargs)
    monkeypatch.setattr(io.subprocess, "run", spy)
    io.git_commit(repo / "pkg")
    assert len(calls) == (3 if fallback else 1)
