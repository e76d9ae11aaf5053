"""Issue 24, item 11: a rule's derived defaults (``RewardSTDP.d_jump = 1/tau_d``,
``STDPParams.mu_minus = mu``) are derived again when a field changes (``replace``,
``set_stdp``); values given explicitly stay."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import neurolab as nl


def test_reward_replace_derives_d_jump_again():
    rule = nl.RewardSTDP()
    assert rule.d_jump == 1.0 / 200.0
    assert rule.replace(tau_d=50.0).d_jump == 1.0 / 50.0
    assert rule.replace(tau_d=50.0).replace(tau_d=100.0).d_jump == 1.0 / 100.0
    assert rule.replace(A_plus=0.02).replace(tau_d=25.0).d_jump == 1.0 / 25.0


def test_reward_explicit_d_jump_stays():
    rule = nl.RewardSTDP(d_jump=0.3)
    assert rule.replace(tau_d=50.0).d_jump == 0.3
    # the same number as the derived default, but given: it stays too
    rule = nl.RewardSTDP(tau_d=200.0, d_jump=0.005)
    assert rule.replace(tau_d=50.0).d_jump == 0.005
    # given in replace: stays in later replaces; None derives it again
    rule = nl.RewardSTDP().replace(d_jump=0.7)
    assert rule.replace(tau_d=10.0).d_jump == 0.7
    rule = rule.replace(d_jump=None)
    assert rule.d_jump == 1.0 / 200.0 and rule.replace(tau_d=10.0).d_jump == 0.1
    assert nl.RewardSTDP().replace(tau_d=40.0, d_jump=0.5).d_jump == 0.5


def test_stdp_mu_minus_follows_mu_unless_given():
    assert nl.STDPParams(mu=0.5).replace(mu=1.0).mu_minus == 1.0
    assert nl.STDPParams().replace(mu=0.25).mu_minus == 0.25
    assert nl.STDPParams(mu=0.5, mu_minus=0.2).replace(mu=1.0).mu_minus == 0.2
    assert nl.STDPParams(mu=0.0, mu_minus=0.0).replace(mu=1.0).mu_minus == 0.0


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy,
                                   lambda r: pickle.loads(pickle.dumps(r))])
def test_copies_remember_what_was_given(clone):
    assert clone(nl.RewardSTDP()).replace(tau_d=50.0).d_jump == 1.0 / 50.0
    assert clone(nl.RewardSTDP(d_jump=0.3)).replace(tau_d=50.0).d_jump == 0.3


def test_rules_without_derived_fields_replace_as_before():
    assert nl.TripletSTDP().replace(tau_x=50.0).tau_x == 50.0
    v = nl.VogelsSTDP().replace(tau=10.0)
    assert v.alpha == 2.0 * 3.0 * 10.0 / 1000.0
    assert nl.PowerLawSTDP().replace(mu=0.2).mu == 0.2


def _reward_net(rule):
    """One input spike at 1 ms, the output driven to spike at 3 ms (a pair: eligibility
    +A_plus exp(-2/tau_plus)), then one reward at 5 ms."""
    net = nl.Network(dt=0.1, seed=0)
    pre = net.add_spikes("pre", 1, times=[1.0], indices=[0])
    kick = net.add_spikes("kick", 1, times=[3.0], indices=[0])
    net.add_spikes("reward", 1, times=[5.0], indices=[0])
    out = net.add_lif("out", 1)
    proj = net.connect(pre, out, weight=0.5, stdp=rule)
    net.connect(kick, out, weight=30.0)
    return net, proj


def test_set_stdp_with_a_replaced_rule_uses_the_new_d_jump():
    net, proj = _reward_net(nl.RewardSTDP(reward="reward", tau_c=1e9))
    proj.set_stdp(proj.stdp.replace(tau_d=50.0))
    assert proj.stdp.d_jump == 1.0 / 50.0
    assert proj.to_dict()["stdp"]["d_jump"] == 1.0 / 50.0
    res = net.run(100.0, progress=False)
    assert len(res.spikes["out"]) == 1
    # the same rule built directly
    fresh, fproj = _reward_net(nl.RewardSTDP(reward="reward", tau_c=1e9, tau_d=50.0))
    fresh.run(100.0, progress=False)
    assert proj.weight[0] > 0.5 + 0.005          # the reward wrote most of c ~ 0.009
    np.testing.assert_array_equal(proj.weight, fproj.weight)
