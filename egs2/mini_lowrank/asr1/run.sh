#!/usr/bin/env bash
# mini_lowrank: a small spoken corpus made on this machine; CPU-sized low-rank ASR.
#   ./run.sh                   the full-rank baseline (with its rank analysis), then LR-SMS
#                              (with LoRA LM rescoring of its N-best lists, stages 14-19)
#   ./run.sh --ablations true  the LR-SMS paper's ablation grid (conf/ablations.yaml), each
#                              row for each seed: --seeds for full rank and LR-SMS (default
#                              "0"), --ablation_seeds for the other rows (default "0 1");
#                              finished trainings (in exp/ or kept in results/) are skipped;
#                              RESULTS.md and the README get the "Ablations" section
#   ./run.sh --lane K/N        only every N-th training from the K-th (local/side_by_side.sh
#                              runs two lanes at once, one thread each)
#   ./run.sh --suggested true  also a model with the rank map suggested by the rank analysis
#   ./run.sh --lm_study true   only the low-rank FFN LM study (after ./run.sh): the LMs of
#                              conf/tuning/train_lm_*.yaml for each of --lm_seeds (default
#                              "1 2"), perplexity on dev/test/test_unseen, shallow fusion and
#                              N-best rescoring of the LR-SMS model with each seed-1 LM
#   ./run.sh --smoke true      CI: every stage on a tiny corpus with tiny models
#   ./run.sh --corpus v2       the multi-engine corpus (espeak-ng + Festival in training;
#                              Flite, Piper and held-out accents only in test_unseen); not
#                              the default yet: its first training did not learn
#                              (docs/mini_corpus_v2.md, results/corpus_v2_attempt1/)
#   ./run.sh --asr_configs "conf/a.yaml ..."   only these models (local/side_by_side.sh
#                              trains the two default models at once, one thread each)
# Other options go to asr.sh (e.g. --stage 8 --ngpu 1 --python .venv/bin/python);
# finished stages are skipped, so later models reuse data, tokens, LM and stats.
set -euo pipefail

smoke=false
ablations=false
suggested=false
lm_study=false
lm_seeds="1 2"
seeds="0"             # training seeds of the default models (0: the configs' own seed)
ablation_seeds="0 1"  # with --ablations true: seeds of the grid's other rows
lane=0/1
asr_configs_override=""  # e.g. "conf/train_asr_lr_sms.yaml": train only these
corpus=v1
while [ $# -ge 2 ]; do
    case "$1" in
        --smoke) smoke=$2; shift 2 ;;
        --ablations) ablations=$2; shift 2 ;;
        --suggested) suggested=$2; shift 2 ;;
        --lm_study) lm_study=$2; shift 2 ;;
        --lm_seeds) lm_seeds=$2; shift 2 ;;
        --seeds) seeds=$2; shift 2 ;;
        --ablation_seeds) ablation_seeds=$2; shift 2 ;;
        --lane) lane=$2; shift 2 ;;
        --asr_configs) asr_configs_override=$2; shift 2 ;;
        --corpus) corpus=$2; shift 2 ;;
        *) break ;;
    esac
done
for flag in smoke ablations suggested lm_study; do
    case "${!flag}" in
        true | false) ;;
        *) echo "$0: --${flag} must be true or false, not '${!flag}'" >&2; exit 2 ;;
    esac
done

train_set=train
valid_set=dev
test_sets="test test_unseen"

if ${smoke}; then
    baseline=conf/train_asr_smoke.yaml
    asr_configs="${baseline}"
    lm_config=conf/train_lm_smoke.yaml
    local_data_opts="--smoke true"
    token_type=char
    nbpe=30  # unused with char tokens
    nj=2
    inference_nj=2
    use_lm=true  # CI covers the LM stages and shallow fusion
    inference_config=conf/decode_asr_smoke.yaml
else
    baseline=conf/train_asr_full.yaml
    asr_configs="${baseline} conf/train_asr_lr_sms.yaml"
    # its rank map is written by the baseline's rank analysis (stage 8)
    ${suggested} && asr_configs+=" conf/tuning/train_asr_suggested.yaml"
    lm_config=conf/train_lm.yaml
    local_data_opts=""
    token_type=bpe
    nbpe=300
    nj=2
    inference_nj=2
    # No shallow-fusion LM: on dev it gained 0.7 points at beam 12 (20.9 -> 20.2 % WER) for a
    # 5-minute LM; the LM enters through N-best rescoring instead (see conf/decode_asr.yaml).
    use_lm=false
    inference_config=conf/decode_asr.yaml
fi
[ -n "${asr_configs_override}" ] && asr_configs=${asr_configs_override}
case "${corpus}" in
    v1 | v2) local_data_opts+=" --corpus ${corpus}" ;;
    *) echo "$0: --corpus must be v1 or v2, not '${corpus}'" >&2; exit 2 ;;
esac
# one corpus per recipe folder: data/, dump/ and exp/ of another corpus are never reused
corpus_info=data/local/corpus_info.json
if [ -f "${corpus_info}" ]; then
    have=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("corpus", "v1"))' "${corpus_info}" 2>/dev/null) \
        || { echo "$0: ${corpus_info} is not readable JSON; remove data/ to rebuild the corpus" >&2; exit 2; }
    if [ "${have}" != "${corpus}" ]; then
        echo "$0: data/ holds mini corpus ${have} (${corpus_info}), not --corpus ${corpus}: move data/, dump/ and exp/ elsewhere (they are kept as they are) or run with --corpus ${have}" >&2
        exit 2
    fi
fi
if ${lm_study}; then
    ${smoke} && { echo "$0: --lm_study needs the full corpus, not --smoke true" >&2; exit 2; }
    asr_configs=""  # the study reuses the LR-SMS model and its N-best lists
fi
# asr.sh's --python also runs this script's own tool calls
python=python3
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do [ "${args[i]}" = --python ] && python=${args[i + 1]}; done

for s in ${seeds} ${ablation_seeds}; do
    [[ "${s}" =~ ^[0-9]+$ ]] || { echo "$0: --seeds/--ablation_seeds take integers >= 0, not '${s}'" >&2; exit 2; }
done
[[ "${lane}" =~ ^[0-9]+/[0-9]+$ ]] && [ "${lane%/*}" -lt "${lane#*/}" ] \
    || { echo "$0: --lane must be K/N with 0 <= K < N, not '${lane}'" >&2; exit 2; }
suffix=raw_en_${token_type}
[ "${token_type}" = bpe ] && suffix+=${nbpe}
# the trainings: "config seed" lines (ablations: the grid's missing ones, seed by seed)
if ${ablations}; then
    ${smoke} && { echo "$0: --ablations needs the full corpus, not --smoke true" >&2; exit 2; }
    # shellcheck disable=SC2086
    job_list=$(${python} -m espnet_lowrank.bin.recipe_tools ablation-jobs --grid conf/ablations.yaml \
        --seeds ${seeds} --ablation_seeds ${ablation_seeds} --lane "${lane}" \
        --done_dirs exp results --test_sets ${test_sets})
else
    job_list=""
    for seed in ${seeds}; do
        for asr_config in ${asr_configs}; do job_list+="${asr_config} ${seed}"$'\n'; done
    done
    job_list=$(printf '%s' "${job_list}" | awk -v k="${lane%/*}" -v n="${lane#*/}" 'NF && (NR - 1) % n == k')
fi

asr() {  # asr.sh with this recipe's settings; later options win
    ../../TEMPLATE/asr1/asr.sh \
        --lang en \
        --train_set "${train_set}" \
        --valid_set "${valid_set}" \
        --test_sets "${test_sets}" \
        --local_data_opts "${local_data_opts}" \
        --token_type "${token_type}" \
        --nbpe "${nbpe}" \
        --nj "${nj}" \
        --inference_nj "${inference_nj}" \
        --lm_config "${lm_config}" \
        --lm_train_text "data/lm_indomain/text dump/raw/${train_set}/text" \
        --inference_config "${inference_config}" \
        --use_lm "${use_lm}" \
        --nbest 10 \
        --skip_upload true \
        "$@"
}

failed=()
while read -r asr_config seed; do
    [ -n "${asr_config}" ] || continue
    name=$(basename "${asr_config}" .yaml)
    model_opts=()
    if [ "${seed}" != 0 ]; then  # the seed is in the experiment name
        model_opts+=(--asr_tag "${name}_seed${seed}_${suffix}" --asr_args "--seed ${seed}")
    fi
    if [ "${asr_config}" = "${baseline}" ] && [ "${seed}" = 0 ]; then
        # effective ranks of the trained full-rank model, and a rank map with LR-SMS's
        # budget (factorizable layers at 0.45 of their dense size) suggested from them
        model_opts+=(--rank_analysis true
            --rank_analysis_args "--suggest stable --param_ratio 0.45 --round_to 4")
    fi
    if ! ${smoke} && [ "${asr_config}" = conf/train_asr_lr_sms.yaml ] && [ "${seed}" = 0 ]; then
        # stages 14-19: LoRA adaptation of a general-domain LM to the in-domain text, four
        # strategies, N-best rescoring of this model and NPRR (docs/rescoring.md)
        # NPRR over 3 perturbation seeds, also at one common LM weight (the unadapted LM's
        # dev-tuned weight can be 0), with a full fine-tuning row beside the LoRA strategies
        model_opts+=(--lora_rescoring true --rescore_nbest 10 --nprr_seeds "0 1 2"
            --nprr_common_lm_weight 0.2 --lm_full_finetune true
            --lm_general_config conf/train_lm_general.yaml
            --lm_general_text data/lm_general/text --lm_indomain_text data/lm_indomain/text
            --lora_config_dir conf/lora)
    fi
    if [ "${asr_config}" = conf/tuning/train_asr_suggested.yaml ]; then
        map=exp/asr_train_asr_full_${suffix}/rank_analysis/suggested_rank_map.yaml
        if [ ! -f "${map}" ] && [ -f "results/${map#exp/}" ]; then
            echo "$0: ${map} from the kept results/${map#exp/} (the full-rank model's rank analysis)" >&2
            mkdir -p "$(dirname "${map}")" && cp "results/${map#exp/}" "${map}"
        fi
        if [ ! -f "${map}" ]; then
            echo "$0: ${name} seed ${seed} waits for ${map} (the full-rank seed-0 model's rank analysis); run again when it is there" >&2
            failed+=("${name}/seed${seed}"); continue
        fi
    fi
    if asr --asr_config "${asr_config}" "${model_opts[@]}" "$@" </dev/null; then
        exp=asr_${name}_${suffix}
        [ "${seed}" = 0 ] || exp=asr_${name}_seed${seed}_${suffix}
        # the finished model's small artefacts, for the repository (never the .pth)
        ${smoke} || ${python} -m espnet_lowrank.bin.recipe_tools keep-results --exp_dir exp \
            --out_dir results "${exp}" || failed+=("${name}/seed${seed} (keep-results)")
    else
        ${ablations} || exit 1
        failed+=("${name}/seed${seed}")  # the grid goes on with the next training
    fi
done <<<"${job_list}"
if ${ablations}; then
    ${python} -m espnet_lowrank.bin.make_results --exp_dir exp --out RESULTS.md \
        --ablations conf/ablations.yaml --kept_dir results --test_sets ${test_sets} \
        --readme ../../../README.md
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "$0: not finished: ${failed[*]} (see their exp/*/train.log and asr.sh's log above)" >&2
    exit 1
fi

if ${lm_study}; then
    # Low-rank FFN LMs (arXiv 2407.09835) against a dense one: stages 4-6 per LM and seed
    # (the seed is in the experiment name), perplexity of every evaluation set; then the
    # LR-SMS model decoded with each seed-1 LM by shallow fusion (stage 9-10) and its
    # 10-best lists rescored by it (lambda, beta tuned on dev)
    lm_study_configs="conf/tuning/train_lm_dense.yaml conf/tuning/train_lm_ffn_r2.yaml"
    lm_study_configs+=" conf/tuning/train_lm_ffn_r4.yaml conf/tuning/train_lm_wide_ffn_r4.yaml"
    seed1=${lm_seeds%% *}
    lm_asr_exp=exp/asr_train_asr_lr_sms_raw_en_${token_type}${nbpe}
    lm_systems=()
    lm_asr_ready() {
        [ -f "${lm_asr_exp}/rescoring/nbest10/${valid_set}/.done" ] && return 0
        echo "$0: --lm_study: ${lm_asr_exp} has no 10-best lists yet; run ./run.sh first (the LMs are trained, the decoding waits)" >&2
        return 1
    }
    for seed in ${lm_seeds}; do  # every LM of one seed before the next seed
        for lm_study_config in ${lm_study_configs}; do
            name=$(basename "${lm_study_config}" .yaml)
            lm_opts=(--use_lm true --lm_config "${lm_study_config}"
                --lm_tag "${name}_seed${seed}_en_${token_type}${nbpe}" --lm_args "--seed ${seed}")
            for ppl_set in ${valid_set} ${test_sets}; do
                asr --asr_config conf/train_asr_lr_sms.yaml "${lm_opts[@]}" \
                    --stage 4 --stop_stage 6 --lm_test_text "dump/raw/${ppl_set}/text" "$@"
            done
        done
    done
    lm_asr_ready || exit 1
    for lm_study_config in ${lm_study_configs}; do
        name=$(basename "${lm_study_config}" .yaml)
        lm_exp=exp/lm_${name}_seed${seed1}_en_${token_type}${nbpe}
        lm_systems+=(--system "${name}=${lm_exp}/config.yaml,${lm_exp}/valid.loss.ave.pth")
        asr --asr_config conf/train_asr_lr_sms.yaml --use_lm true --lm_config "${lm_study_config}" \
            --lm_tag "${name}_seed${seed1}_en_${token_type}${nbpe}" \
            --inference_config conf/tuning/decode_asr_lm.yaml --stage 9 --stop_stage 10 "$@"
    done
    out=${lm_asr_exp}/rescoring_lm_study
    if [ ! -f "${out}/.done" ]; then
        mkdir -p "${out}"
        ${python} -m espnet_lowrank.bin.lora_rescoring rescore "${lm_systems[@]}" \
            --nbest_root "${lm_asr_exp}/rescoring/nbest10" --ref_root dump/raw \
            --dev_set "${valid_set}" --test_sets ${valid_set} ${test_sets} --out_root "${out}" \
            --nbest 10 --device cpu 2>&1 | tee "${out}/rescore.log"
        touch "${out}/.done"
    fi
fi
