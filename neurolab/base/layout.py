"""The kernel's table layout: column indices and codes shared by the kernel
(:mod:`neurolab.engine.kernels`), the rule modules (:mod:`neurolab.plasticity`) and the table
builder (:mod:`neurolab.engine.tables`). Imports nothing of ours.

Room: ``neurolab.base`` (shared by ``plasticity`` and ``engine``). May import: the standard
library only.
"""

# LIF populations: lif_i[q]
LO, HI, MODE, HET, HAS_IEXT = 0, 1, 2, 3, 4
N_LIF_I = 5
# per-neuron parameters: par[row, j]
VREST, VTH, VRESET, PM, PE, PI, CE, CI, EE, EI, DTM, IB = range(12)
N_PAR = 12
# pathways: pw_i[p]
(DELAY, TARGET, PRE_LO, PRE_HI, POST_LO, POST_HI, ROW_OFF, COL_OFF, XPRE_OFF, XPOST_OFF,
 PLASTIC, PAIRING, PRE_POP, POST_POP, LEARN, RULE, SAME_STEP, WDEP, XSYN_BASE) = range(19)
N_PW_I = 19
# rule parameters: pw_f[p]; the pair rule's columns (other families define their own)
A_PLUS, A_MINUS, C_PLUS, C_MINUS, W_MIN, W_MAX, MU_PLUS, MU_MINUS = range(8)
N_PW_F = 16
# Poisson drives, sampling schedules
PIN_LO, PIN_N, PIN_TARGET, PIN_COL = range(4)
EVERY, SCHED_LO, SCHED_HI, ROW0 = range(4)
# counters
C_STEP, C_NSPK = 0, 1

MODE_DELTA, MODE_CURRENT, MODE_CONDUCTANCE = 0, 1, 2
TARGET_V, TARGET_E, TARGET_I, TARGET_V_INH = 0, 1, 2, 3

# rule families (pw_i[p, RULE]); a family other than the pair rule is compiled only into
# the kernels of networks that use it
RULE_PAIR, RULE_TRIPLET, RULE_VOGELS, RULE_DOPAMINE, RULE_CLOPATH = 0, 1, 2, 3, 4
# pairing schemes (Morrison, Diesmann & Gerstner 2008, Fig. 7)
PAIR_ALL, PAIR_NEAREST, PAIR_PRE_CENTRED, PAIR_RESTRICTED = 0, 1, 2, 3
# what a pre and a post spike in the same step do
SAME_POTENTIATE, SAME_DEPRESS, SAME_BOTH, SAME_NEITHER = 0, 1, 2, 3
# weight dependence: additive, Guetig soft bounds (mu), power law (Morrison et al. 2007)
WD_ADDITIVE, WD_SOFT, WD_POWER = 0, 1, 2

# neuron models beyond LIF (neurolab.engine.models): m_i[r] for model population r
M_LO, M_HI, M_KIND, M_MODE, M_METHOD, M_HAS_IEXT = range(6)
N_M_I = 6
MODEL_ADEX, MODEL_IZHIKEVICH = 1, 2
IZH_EULER, IZH_HALF_STEPS = 0, 1
# per-neuron parameters mpar[row, j]: AdEx rows
(A_C, A_GL, A_EL, A_VT, A_DT, A_VP, A_VR, A_TW, A_A, A_B, A_IB, A_TE, A_TI, A_EE,
 A_EI, A_VC, A_KC) = range(17)       # A_VC: V_clamp (mV); A_KC: t_clamp in steps (0: off)
# Clopath's extras (NEST aeif_psc_delta_clopath): I_sp (pA), V_th_max (mV) and the decay
# factors over half a step exp(-dt / (2 tau_z)), exp(-dt / (2 tau_V_th))
A_ISP, A_VTM, A_EZH, A_EVH = range(17, 21)
# Izhikevich rows (PE, PI: exp(-dt/tau_e), exp(-dt/tau_i))
Z_A, Z_B, Z_C, Z_D, Z_VP, Z_IB, Z_PE, Z_PI, Z_EE, Z_EI = range(10)
N_MPAR = 21
