"""Mutation scores per module from a ``mutmut run``, as a Markdown report.

``make mutation`` runs mutmut over the modules named in ``[tool.mutmut]`` of
``pyproject.toml`` and then this module, which reads the verdicts mutmut keeps
next to the mutated copies (``mutants/**/*.py.meta``) and writes
``benchmarks/results/mutation.md``: per module, the mutants killed, surviving,
timed out, without a covering test and not checked yet, and the score, killed
(timeouts included) over all checked mutants. Surviving mutants judged
equivalent are listed in ``EQUIVALENT`` with one line of reason and leave the
denominator.

Run with ``python -m benchmarks.mutation [--mutants DIR]``.
"""

import argparse
import json
from collections import Counter
from pathlib import Path

from ._report import RESULTS

# mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped.
KILLED = {1, 3, 24, -24, 36, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}

_DEVICE = (
    "device placement only: the same tensor on a CPU, where the suite runs; "
    "the CUDA tests exercise it where a GPU exists"
)
_DIM = "dim=None or the default dim picks dim 1 of these 2-D tensors"
_LAST_AXIS = "on these 2-D tensors axis 1, +1, -1 and the default are one axis"
_NORM_FLOOR = (
    "the floor on a squared norm is reached only by all-zero rows, whose "
    "cosines are 0 whatever the floor"
)
_NO_FIT_PARAMS = "no estimator passes fit parameters to the net"
_BASE_HOOK = (
    "skorch's NeuralNet.on_train_begin and on_epoch_begin use their own state, "
    "not the net, data or keyword arguments passed to them"
)
_CLASSES = "skorch's NeuralNet.partial_fit ignores classes"
_GUARD = (
    "clamp against a draw of exactly 1.0, which torch.rand never returns: "
    "a looser bound never binds"
)

_SAME_WIDTH = (
    "every view's features have the body's input width: padding them to the "
    "widest pads nothing"
)

_ALLOWED_FIRST = (
    "an unstable sort still puts every allowed row first, in another order: a "
    "uniform rank over them draws each allowed row with the same probability"
)
_SUPCON_LOG_Z = (
    "log Z of each positive replaces log Z of the anchor: within a class every row "
    "is a positive of the other n_c - 1 rows equally often, so the mean over "
    "anchors is the same function"
)

_MASK_CAST = (
    "float states times an integer 0/1 mask promote to the states' dtype: "
    "the cast changes nothing"
)
_TOKEN_MASK_CAST = (
    "the criterion's per-token losses are float32: a bool mask and its integer "
    "count give the same float32 mean as the cast mask"
)
_INF = "float() reads the name in any case: '-INF' is -inf"
_HEAD_AXIS = "on these 4-D (batch, head, position, channel) tensors axis +2 is -2"
_INT_FILL = "torch.full makes int64 tensors from an integer fill, as dtype=torch.long"
_NO_WORD_DROPOUT = (
    "with word_dropout=0 no draw is below 0: nothing is dropped (the draw only "
    "advances the generator)"
)
_FAKE_TARGET = "real=None is falsy like False: the generated samples' target is 0"
_OFFSET_SIGN = (
    "the MSE of source ± offset against source is the squared offset either way, "
    "and so is its gradient"
)

_ALREADY_OFF = (
    "autocast disabled where it is not enabled: the same computation either way"
)
_PROMOTED = (
    "a 16-bit gate times float32 states is promoted to float32, as the cast does"
)
_NORMALISED = (
    "a constant factor of every weight cancels when the weights are scaled to sum "
    "to the number of classes"
)
_FALSY = "allow_zero=None is falsy like False"
_NO_BIAS = "bias=None is falsy like False"

_FLOAT64_WEIGHTS = (
    "weights in their own dtype (float32 from the rebalancing callbacks) draw with "
    "the same law and as repeatably; float64 only sums them more precisely"
)
_TIES = (
    "any sort of equal lengths leaves them in an order drawn at random, since the "
    "epoch's draw was a random permutation; numpy reads the kind in any case"
)

#: Surviving mutants that cannot change behaviour: mutant name -> reason.
EQUIVALENT = {
    "skimbtext._training.xǁRebalancingSamplerǁ__iter____mutmut_17": _FLOAT64_WEIGHTS,
    "skimbtext._training.xǁRebalancingSamplerǁ__iter____mutmut_19": _FLOAT64_WEIGHTS,
    "skimbtext._training.xǁRebalancingSamplerǁ_group_by_length__mutmut_15": _TIES,
    "skimbtext._training.xǁRebalancingSamplerǁ_group_by_length__mutmut_17": _TIES,
    "skimbtext._training.xǁRebalancingSamplerǁ_group_by_length__mutmut_20": _TIES,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_5": _ALREADY_OFF,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_19": _PROMOTED,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_37": _LAST_AXIS,
    "skimbtext.losses._common.x__as_class_vector__mutmut_4": _DEVICE,
    "skimbtext.losses._common.x__as_class_vector__mutmut_7": _DEVICE,
    "skimbtext.losses._logit_adjusted.xǁLogitAdjustedLossǁ__init____mutmut_7": _FALSY,
    "skimbtext.losses._class_balanced.x_effective_number_weights__mutmut_5": _FALSY,
    "skimbtext.losses._class_balanced.x_effective_number_weights__mutmut_27": (
        _NORMALISED
    ),
    "skimbtext.losses._class_balanced.x_effective_number_weights__mutmut_28": (
        _NORMALISED
    ),
    "skimbtext.losses._common.x__gold_log_prob__mutmut_7": _DIM,
    "skimbtext.losses._common.x__gold_log_prob__mutmut_9": _DIM,
    "skimbtext.losses._ldam.xǁLDAMLossǁ__init____mutmut_8": _FALSY,
    "skimbtext.losses._mine.x_shuffle_marginal__mutmut_4": _DEVICE,
    "skimbtext.losses._mine.x_shuffle_marginal__mutmut_7": _DEVICE,
    "skimbtext.losses._mine.x_shuffle_marginal__mutmut_11": _DEVICE,
    "skimbtext.losses._mine.xǁMINEBoundǁforward__mutmut_23": (
        "the running mean already has the scores' dtype and device"
    ),
    "skimbtext.losses._sharprecl.x_class_membership__mutmut_3": _DEVICE,
    "skimbtext.losses._sharprecl.x_class_membership__mutmut_5": _DEVICE,
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_14": _DEVICE,
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_17": _DEVICE,
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_23": _GUARD,
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_30": _DIM,
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_31": _ALLOWED_FIRST,
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_32": (
        "argsort orders the bool mask False before True, as int8 0 before 1"
    ),
    "skimbtext.losses._sharprecl.x_simple_sampling_indices__mutmut_35": _ALLOWED_FIRST,
    "skimbtext.losses._sharprecl.x_hard_example_pools__mutmut_26": _DIM,
    "skimbtext.losses._sharprecl.x_hard_example_pools__mutmut_38": _DIM,
    "skimbtext.losses._sharprecl.x_draw_mixup_pairs__mutmut_8": _DEVICE,
    "skimbtext.losses._sharprecl.x_draw_mixup_pairs__mutmut_12": _DEVICE,
    "skimbtext.losses._sharprecl.x_draw_mixup_pairs__mutmut_13": (
        "a third uniform per pair is drawn and never read"
    ),
    "skimbtext.losses._sharprecl.x_draw_mixup_pairs__mutmut_20": _GUARD,
    "skimbtext.losses._sharprecl.x__symmetric_beta__mutmut_5": _DEVICE,
    "skimbtext.losses._sharprecl.x__symmetric_beta__mutmut_7": _DEVICE,
    "skimbtext.losses._sharprecl.x__symmetric_beta__mutmut_12": (
        "sin² of a uniform angle over any whole number of quarter periods is "
        "arcsine-distributed: the same Beta(1/2, 1/2) law"
    ),
    "skimbtext.losses._sharprecl.x__symmetric_beta__mutmut_16": _DEVICE,
    "skimbtext.losses._sharprecl.x__symmetric_beta__mutmut_18": _DEVICE,
    "skimbtext.losses._sharprecl.x_rebalanced_target_sets__mutmut_17": (
        "only the first four of the placeholder pools are read"
    ),
    "skimbtext.losses._sharprecl.x_rebalanced_target_sets__mutmut_50": _DEVICE,
    "skimbtext.losses._sharprecl.x_rebalanced_target_sets__mutmut_52": _DEVICE,
    "skimbtext.losses._sharprecl.x_rebalanced_contrastive_loss__mutmut_17": _DEVICE,
    "skimbtext.losses._sharprecl.x_rebalanced_contrastive_loss__mutmut_20": _DEVICE,
    "skimbtext.losses._sharprecl.x_supervised_contrastive_loss__mutmut_8": _DEVICE,
    "skimbtext.losses._sharprecl.x_supervised_contrastive_loss__mutmut_11": _DEVICE,
    "skimbtext.losses._sharprecl.x_supervised_contrastive_loss__mutmut_26": (
        _SUPCON_LOG_Z
    ),
    "skimbtext.losses._sharprecl.x_supervised_contrastive_loss__mutmut_28": (
        _SUPCON_LOG_Z
    ),
    "skimbtext.losses._sharprecl.xǁSharpReCLLossǁ__init____mutmut_23": _FALSY,
    "skimbtext.losses._sharprecl.xǁSharpReCLLossǁcontrastive_loss__mutmut_20": _DEVICE,
    "skimbtext.losses._sharprecl.xǁSharpReCLLossǁcontrastive_loss__mutmut_22": _DEVICE,
    "skimbtext.losses._dcmi.x_soft_contrastive_loss__mutmut_14": _LAST_AXIS,
    "skimbtext.losses._dcmi.x_domain_classification_loss__mutmut_4": _DEVICE,
    "skimbtext.losses._dcmi.x_domain_classification_loss__mutmut_6": _DEVICE,
    "skimbtext.losses._dcmi.x_domain_classification_loss__mutmut_20": _LAST_AXIS,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_28": _NORM_FLOOR,
    "skimbtext.nn._dcmi.x__gated_cosine__mutmut_12": _NORM_FLOOR,
    "skimbtext.nn._dcmi.x__gated_cosine__mutmut_13": _NORM_FLOOR,
    "skimbtext.nn._dcmi.x_own_domain_view_similarity__mutmut_47": _DEVICE,
    "skimbtext.nn._dcmi.x_own_domain_view_similarity__mutmut_49": _DEVICE,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_29": _NORM_FLOOR,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_40": _NORM_FLOOR,
    "skimbtext.losses._dcmi.x_masked_view_similarity__mutmut_41": _NORM_FLOOR,
    "skimbtext.losses._dcmi.xǁDCMILossǁcomponents__mutmut_2": (
        "the module's output has five fields: [:6] takes the same five"
    ),
    "skimbtext.nn._classifier.xǁCosineLinearǁforward__mutmut_4": _LAST_AXIS,
    "skimbtext.nn._classifier.xǁCosineLinearǁforward__mutmut_5": _LAST_AXIS,
    "skimbtext.nn._classifier.xǁCosineLinearǁforward__mutmut_10": _LAST_AXIS,
    "skimbtext.nn._classifier.xǁCosineLinearǁforward__mutmut_11": _LAST_AXIS,
    "skimbtext.nn._dcmi.xǁPerDomainLinearǁforward__mutmut_31": (
        "einsum takes upper-case subscripts as labels: the same contraction"
    ),
    "skimbtext.nn._dcmi.xǁPerDomainLinearǁforward__mutmut_44": _LAST_AXIS,
    "skimbtext.nn._dcmi.xǁPerDomainLinearǁforward__mutmut_45": _LAST_AXIS,
    "skimbtext.nn._dcmi.xǁDCMIModuleǁ_domain_relevance__mutmut_12": (
        "torch.where promotes a bool one-hot to the learned relevance's dtype, "
        "and the agreement is float32 already"
    ),
    "skimbtext.nn._dcmi.x_masked_head_logits__mutmut_80": _NORM_FLOOR,
    "skimbtext.nn._dcmi.x_masked_head_logits__mutmut_81": _NORM_FLOOR,
    "skimbtext.nn._dcmi.xǁDCMIModuleǁ_encode__mutmut_7": _DEVICE,
    "skimbtext.nn._dcmi.xǁDCMIModuleǁ_encode__mutmut_9": _DEVICE,
    "skimbtext.nn._dcmi.xǁDCMIModuleǁ_encode__mutmut_51": _LAST_AXIS,
    "skimbtext.nn._dcmi.xǁDCMIModuleǁ_encode__mutmut_67": (
        "the module's domain head and masks share its dtype, and under autocast "
        "matmul casts both operands itself"
    ),
    "skimbtext.nn._sharprecl.xǁProjectionHeadǁforward__mutmut_20": (
        "F.batch_norm's training defaults to False"
    ),
    "skimbtext.nn._sharprecl.xǁProjectionHeadǁforward__mutmut_21": (
        "the head's BatchNorm1d keeps the default eps, 1e-5, F.batch_norm's default"
    ),
    "skimbtext.nn._sharprecl.x__stack_views__mutmut_6": _SAME_WIDTH,
    "skimbtext.nn._sharprecl.x__stack_views__mutmut_7": _SAME_WIDTH,
    "skimbtext.nn._sharprecl.xǁSharpReCLModuleǁ_views__mutmut_10": (
        "F.dropout's training defaults to True"
    ),
    "skimbtext.nn._sharprecl.xǁSharpReCLModuleǁ_views__mutmut_16": (
        "dropout with p=0 returns the features unchanged"
    ),
    "skimbtext.nn._sharprecl.xǁSharpReCLModuleǁprototypes__mutmut_4": _LAST_AXIS,
    "skimbtext.nn._sharprecl.xǁSharpReCLModuleǁprototypes__mutmut_6": _LAST_AXIS,
    "skimbtext.nn._sharprecl.xǁSharpReCLModuleǁforward__mutmut_41": _LAST_AXIS,
    "skimbtext.nn._sharprecl.xǁSharpReCLModuleǁforward__mutmut_43": _LAST_AXIS,
    "skimbtext._training.xǁTrainingNetǁget_loss__mutmut_4": _DEVICE,
    "skimbtext._training.xǁTrainingNetǁget_loss__mutmut_26": _DEVICE,
    "skimbtext._training.xǁTrainingNetǁget_loss__mutmut_36": _DEVICE,
    "skimbtext._training.xǁTrainingNetǁget_loss__mutmut_38": _DEVICE,
    "skimbtext._training.xǁTrainingNetǁtrain_step__mutmut_7": _NO_FIT_PARAMS,
    "skimbtext._training.xǁTrainingNetǁ_with_target__mutmut_4": (
        "a missing reads_target defaulting to None is falsy like False"
    ),
    "skimbtext._training.xǁTrainingNetǁ_with_target__mutmut_17": _DEVICE,
    "skimbtext._training.xǁTrainingNetǁon_train_begin__mutmut_1": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_train_begin__mutmut_2": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_train_begin__mutmut_3": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_train_begin__mutmut_5": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_train_begin__mutmut_6": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_train_begin__mutmut_7": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_epoch_begin__mutmut_1": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_epoch_begin__mutmut_2": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_epoch_begin__mutmut_3": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_epoch_begin__mutmut_5": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_epoch_begin__mutmut_6": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁon_epoch_begin__mutmut_7": _BASE_HOOK,
    "skimbtext._training.xǁTrainingNetǁfit_loop__mutmut_25": _NO_FIT_PARAMS,
    "skimbtext._training.xǁTrainingNetǁpartial_fit__mutmut_10": _NO_FIT_PARAMS,
    "skimbtext._training.xǁTrainingNetǁpartial_fit__mutmut_2": (
        "_stop_requested=None is falsy like False"
    ),
    "skimbtext._training.xǁTrainingNetǁpartial_fit__mutmut_6": _CLASSES,
    "skimbtext._training.xǁTrainingNetǁpartial_fit__mutmut_9": _CLASSES,
    "skimbtext._training.xǁTrainingNetǁevaluation_step__mutmut_1": (
        "skorch always passes training= to evaluation_step: the default is unused"
    ),
    "skimbtext._training.xǁTrainingNetǁinfer__mutmut_5": _NO_FIT_PARAMS,
    "skimbtext.nn._miso.xǁTokenEncoderǁforward__mutmut_3": _DEVICE,
    "skimbtext.nn._miso.xǁTokenEncoderǁforward__mutmut_5": _DEVICE,
    "skimbtext.nn._miso.xǁTokenEncoderǁforward__mutmut_14": _MASK_CAST,
    "skimbtext.nn._miso.xǁVectorEncoderǁforward__mutmut_9": _DEVICE,
    "skimbtext.nn._miso.xǁVectorEncoderǁforward__mutmut_12": _DEVICE,
    "skimbtext.nn._miso.xǁSemanticFusionǁattention__mutmut_35": _HEAD_AXIS,
    "skimbtext.nn._miso.xǁSemanticFusionǁattention__mutmut_65": _HEAD_AXIS,
    "skimbtext.nn._miso.xǁSemanticFusionǁattention__mutmut_45": _INF,
    "skimbtext.nn._miso.xǁSemanticFusionǁforward__mutmut_25": _MASK_CAST,
    "skimbtext.nn._miso.xǁMINECriticǁforward__mutmut_7": _LAST_AXIS,
    "skimbtext.nn._miso.xǁMINECriticǁforward__mutmut_9": _LAST_AXIS,
    "skimbtext.nn._miso.xǁTokenDecoderǁ__init____mutmut_27": _NO_BIAS,
    "skimbtext.nn._miso.xǁTokenDecoderǁ_run__mutmut_43": _INF,
    "skimbtext.nn._miso.xǁTokenDecoderǁ_free_running__mutmut_4": _INT_FILL,
    "skimbtext.nn._miso.xǁTokenDecoderǁ_free_running__mutmut_8": _INT_FILL,
    "skimbtext.nn._miso.xǁTokenDecoderǁ_free_running__mutmut_5": _DEVICE,
    "skimbtext.nn._miso.xǁTokenDecoderǁ_free_running__mutmut_9": _DEVICE,
    "skimbtext.nn._miso.xǁTokenDecoderǁrelaxed__mutmut_8": _LAST_AXIS,
    "skimbtext.nn._miso.xǁTokenDecoderǁrelaxed__mutmut_9": _LAST_AXIS,
    "skimbtext.nn._miso.xǁTokenDecoderǁgreedy__mutmut_10": _INF,
    "skimbtext.nn._miso.xǁTokenDecoderǁgreedy__mutmut_20": _INF,
    "skimbtext.nn._miso.xǁTokenDecoderǁgreedy__mutmut_43": _INF,
    "skimbtext.nn._miso.xǁTokenDecoderǁgreedy__mutmut_76": _INF,
    "skimbtext.nn._miso.xǁTokenDecoderǁgreedy__mutmut_34": _LAST_AXIS,
    "skimbtext.nn._miso.xǁTokenDecoderǁgreedy__mutmut_79": _LAST_AXIS,
    "skimbtext.nn._miso.x_repeated_ngram_mask__mutmut_6": _DEVICE,
    "skimbtext.nn._miso.x_repeated_ngram_mask__mutmut_10": _DEVICE,
    "skimbtext.nn._miso.x_repeated_ngram_mask__mutmut_36": _DEVICE,
    "skimbtext.nn._miso.x_repeated_ngram_mask__mutmut_40": _DEVICE,
    "skimbtext.nn._miso.xǁSequenceDiscriminatorǁ__init____mutmut_4": _NO_BIAS,
    "skimbtext.nn._miso.xǁSequenceDiscriminatorǁforward__mutmut_11": _LAST_AXIS,
    "skimbtext.nn._miso.xǁVectorDiscriminatorǁforward__mutmut_5": _LAST_AXIS,
    "skimbtext.nn._miso.xǁMISONetworkǁfuse_pretrain__mutmut_34": _MASK_CAST,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "initialize_optimizer__mutmut_18": _DEVICE,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "initialize_optimizer__mutmut_21": _DEVICE,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_reconstruction__mutmut_12": _NO_WORD_DROPOUT,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_reconstruction__mutmut_16": _DEVICE,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_reconstruction__mutmut_18": _DEVICE,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_reconstruction__mutmut_48": _TOKEN_MASK_CAST,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_reconstruction__mutmut_63": _OFFSET_SIGN,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "train_step__mutmut_7": _DEVICE,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_adversarial_step__mutmut_60": _FAKE_TARGET,
    "skimbtext.over_sampling._miso_training.xǁMISOTrainingNetǁ"
    "_adversarial_step__mutmut_78": _FAKE_TARGET,
}

COMMAND = "make mutation"


def collect(mutants_dir):
    """``{module: Counter(status)}`` and the surviving mutant names."""
    counts, survivors = {}, []
    for meta in sorted(Path(mutants_dir).rglob("*.py.meta")):
        module = str(meta.relative_to(mutants_dir)).removesuffix(".meta")
        verdicts = json.loads(meta.read_text()).get("exit_code_by_key", {})
        if not verdicts:
            continue
        tally = counts.setdefault(module, Counter())
        for name, code in verdicts.items():
            if code is None:
                tally["not checked"] += 1
            elif code in KILLED:
                tally["killed"] += 1
            elif code in SURVIVED:
                if name in EQUIVALENT:
                    tally["equivalent"] += 1
                else:
                    tally["survived"] += 1
                    survivors.append(name)
            elif code in NO_TESTS:
                tally["no tests"] += 1
            else:
                tally["other"] += 1
    return counts, survivors


def score(tally):
    """Killed over killed + survived + no tests (equivalent ones excluded)."""
    checked = tally["killed"] + tally["survived"] + tally["no tests"]
    return tally["killed"] / checked if checked else float("nan")


def report(counts, survivors):
    columns = ["killed", "survived", "no tests", "equivalent", "not checked"]
    lines = [
        "# Mutation testing",
        "",
        f"Command: `{COMMAND}` (mutmut over the modules in `[tool.mutmut]` of "
        "`pyproject.toml`; each mutant runs the tests that cover the mutated "
        "function). Score: killed / (killed + survived + no tests); mutants "
        "judged equivalent are listed below with their reason and left out; "
        "*not checked* counts mutants the run had not reached.",
        "",
        "| module | " + " | ".join(columns) + " | score |",
        "|---|" + "---|" * (len(columns) + 1),
    ]
    for module, tally in sorted(counts.items()):
        cells = " | ".join(str(tally[column]) for column in columns)
        lines.append(f"| {module} | {cells} | {score(tally):.0%} |")
    lines += ["", "## Equivalent mutants", ""]
    lines += [f"- `{name}`: {reason}" for name, reason in EQUIVALENT.items()] or [
        "None listed."
    ]
    lines += ["", f"## Surviving mutants ({len(survivors)})", ""]
    lines += [f"- `{name}`" for name in survivors]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", default="mutants", type=Path)
    args = parser.parse_args(argv)
    counts, survivors = collect(args.mutants)
    path = RESULTS / "mutation.md"
    path.write_text(report(counts, survivors))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
