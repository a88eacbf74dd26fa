#!/usr/bin/env bash
# shellcheck disable=SC1091,SC2154  # sources the recipe's cmd.sh (train_cmd, cuda_cmd...)
# Shared ASR stage driver for espnet_lowrank recipes (ESPnet egs2 interface).
# Run from a recipe dir (egs2/<corpus>/asr1) through its run.sh; see --help.
# Stages: 1 data prep, 2 speed perturbation + format + length filter, 3 token list, 4 LM stats,
# 5 LM training, 6 LM perplexity, 7 ASR stats, 8 ASR training, 9 decoding, 10 scoring, 11 RESULTS.md,
# 12 packing, 13 upload; with --lora_rescoring true: 14 N-best decoding (dev + test),
# 15 general-domain base LM, 16 LoRA adaptation per strategy on in-domain text,
# 17 N-best rescoring, 18 NPRR, 19 rescoring table + RESULTS.md.
# A stage whose outputs are complete is skipped (its ".done"
# marker exists); --skip_done false runs it again. Logic lives in Python; this script
# only orchestrates.
set -euo pipefail

log() {
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (asr.sh:${BASH_LINENO[0]}) $*" >&2
}
SECONDS=0
template_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run_args=$(printf '%q ' "$0" "$@")

# General
task=asr                 # asr | avsr (audio-visual: video.scp beside wav.scp)
stage=1
stop_stage=19
skip_done=true           # skip a stage whose outputs are complete
ngpu=0                   # GPUs per node (0: CPU)
num_nodes=1              # >1: multi-node DDP; needs cmd_backend=slurm
dist_procs=1             # CPU only (--ngpu 0): DDP processes via torchrun + gloo
nj=4                     # jobs for stats collection
inference_nj=4           # jobs for decoding
python=python3
dumpdir=dump
expdir=exp
fs=16000
min_wav_duration=0.1     # seconds; shorter training utterances are dropped
max_wav_duration=20      # seconds; longer training utterances are dropped
speed_perturb_factors="" # e.g. "0.9 1.0 1.1": stage 2 makes data/<train_set>_sp, the training set

# Data
local_data_opts=""
train_set=""
valid_set=""
test_sets=""
lang=noinfo

# Tokens
token_type=bpe           # bpe | char | word
nbpe=30
bpemode=unigram
bpe_train_text=""        # default: dump/raw/<train_set>/text (data/<train_set>/text with speed perturbation)

# LM
use_lm=true
lm_tag=""
lm_config=""
lm_args=""
lm_train_text=""         # default: as bpe_train_text; several files: "a b"
lm_dev_text=""           # default: dump/raw/<valid_set>/text
lm_test_text=""          # default: dump/raw/<first test set>/text
lm_exp=""
lm_stats_dir=""

# ASR
asr_tag=""
asr_config=""
asr_args=""
asr_exp=""
asr_stats_dir=""
feats_normalize=global_mvn
rank_analysis=false      # after training: effective ranks, plots, a suggested rank map
rank_analysis_args="--suggest stable --param_ratio 0.5"

# Decoding
inference_config=""
inference_args=""
inference_tag=""
inference_asr_model=valid.acc.ave.pth
inference_lm=valid.loss.ave.pth
nbest=1

# Packing / upload
skip_upload=true
hf_repo=""

# LoRA LM rescoring (stages 14-19); see docs/rescoring.md
lora_rescoring=false     # run stages 14-19
rescore_nbest=10         # N: hypotheses per utterance decoded (without LM) and rescored
rescore_inference_args="" # extra options of the N-best decoding (e.g. "--beam_size 10")
lm_general_text=""       # general-domain LM text (Kaldi text; several files: "a b")
lm_general_config=""     # base LM config [default: --lm_config]
lm_general_args=""
lm_general_tag=""        # base LM dir: <expdir>/lm_general_<tag>, shared by all ASR models
lm_indomain_text=""      # in-domain adaptation text (Kaldi text; several files: "a b")
lora_config_dir=conf/lora # one <strategy>.yaml per strategy
lora_strategies="vanilla dynamic warmup mixed"
lora_args=""
lm_full_finetune=false   # stage 16 also fine-tunes every weight of the base LM (reference row)
lm_full_finetune_args="--max_epoch 2 --optim_conf lr=0.001 --scheduler_conf warmup_steps=100"
rescore_args=""          # extra options of the rescorer (e.g. "--lm_weight_grid 0:1:0.1")
nprr_p=0.1               # homophone replacement probability per word (NPRR)
nprr_seeds="0 1 2"
nprr_common_lm_weight="" # also NPRR of every LM at this one weight (beta re-tuned on dev)

help_message=$(cat <<EOF
Usage: $0 --train_set <name> --valid_set <name> --test_sets "<names>" [options]

Options (defaults in brackets):
  --task asr|avsr                 audio-only, or audio-visual (data/<set>/video.scp) [${task}]
  --stage N / --stop_stage N      stages to run [${stage} / ${stop_stage}]
  --skip_done true|false          skip stages whose outputs exist [${skip_done}]
  --ngpu G --num_nodes N          GPUs per node / nodes (N>1 needs cmd_backend=slurm)
  --dist_procs P                  CPU DDP processes with torchrun + gloo (needs --ngpu 0)
  --nj N --inference_nj N         parallel jobs for stats / decoding
  --python CMD                    Python interpreter [${python}]
  --local_data_opts "..."         options for local/data.sh
  --min_wav_duration S --max_wav_duration S  training length filter (seconds)
  --speed_perturb_factors "0.9 1.0 1.1"  train on data/<train_set>_sp: each utterance once per
                                  factor (sox-like speed change; ids prefixed sp<factor>-)
  --token_type bpe|char|word --nbpe N --bpemode unigram|bpe
  --use_lm true|false --lm_config F --lm_tag T --lm_args "..."
  --asr_config F --asr_tag T --asr_args "..."
  --rank_analysis true|false --rank_analysis_args "..."  after training: effective ranks,
                                  plots and a suggested rank map in <asr_exp>/rank_analysis
  --inference_config F --inference_args "..." --inference_asr_model F --nbest N
  --skip_upload true|false --hf_repo user/name
  --lora_rescoring true|false     stages 14-19: N-best decoding, general base LM, LoRA
                                  adaptation, rescoring, NPRR, table [${lora_rescoring}]
  --rescore_nbest N --rescore_inference_args "..."  N-best decoding (no LM) [${rescore_nbest}]
  --lm_general_text "F.." --lm_general_config F --lm_general_tag T --lm_general_args "..."
  --lm_indomain_text "F.." --lora_config_dir D --lora_strategies "..." --lora_args "..."
                                  [${lora_config_dir}; ${lora_strategies}]
  --lm_full_finetune true|false --lm_full_finetune_args "..."  full fine-tuning of the base LM
                                  beside the LoRA strategies [${lm_full_finetune}; ${lm_full_finetune_args}]
  --rescore_args "..." --nprr_p P --nprr_seeds "S.."  rescoring / NPRR [${nprr_p}; ${nprr_seeds}]
  --nprr_common_lm_weight W       also NPRR at one LM weight W for every LM (e.g. 0.2) [none]
Jobs run through cmd.sh (cmd_backend=local|slurm); see scripts/run_jobs.sh.
EOF
)

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) echo "${help_message}"; exit 0 ;;
        --*)
            name=${1#--}
            if [[ ! ${name} =~ ^[a-z_]+$ ]] || ! declare -p "${name}" >/dev/null 2>&1 \
                || [[ " help_message template_dir run_args name " == *" ${name} "* ]]; then
                log "Error: unknown option $1"; echo "${help_message}" >&2; exit 2
            fi
            if [ $# -lt 2 ]; then log "Error: option $1 needs a value"; exit 2; fi
            printf -v "${name}" '%s' "$2"; shift 2 ;;
        *) log "Error: unexpected argument $1"; echo "${help_message}" >&2; exit 2 ;;
    esac
done

# shellcheck disable=SC1091
[ -f ./path.sh ] && . ./path.sh
# cmd.sh defines train_cmd, cuda_cmd, decode_cmd and cmd_backend from run_jobs.sh.
export PATH="${template_dir}/scripts:${PATH}"
if [ -f ./cmd.sh ]; then
    # shellcheck disable=SC1091
    . ./cmd.sh
else
    . "${template_dir}/cmd.sh"
fi

# ---------------------------------------------------------------- checks
check_bool() {
    case "$2" in true|false) ;; *) log "Error: --$1 must be true or false, not '$2'"; exit 2 ;; esac
}
check_int() {
    [[ $2 =~ ^[0-9]+$ ]] || { log "Error: --$1 must be a non-negative integer, not '$2'"; exit 2; }
}
check_bool skip_done "${skip_done}"; check_bool use_lm "${use_lm}"; check_bool skip_upload "${skip_upload}"
check_bool rank_analysis "${rank_analysis}"
check_bool lora_rescoring "${lora_rescoring}"
check_bool lm_full_finetune "${lm_full_finetune}"
for v in stage stop_stage ngpu num_nodes dist_procs nj inference_nj nbest nbpe fs rescore_nbest; do
    check_int "${v}" "${!v}"
done
[ -n "${train_set}" ] || { log "Error: --train_set is required"; exit 2; }
[ -n "${valid_set}" ] || { log "Error: --valid_set is required"; exit 2; }
[ -n "${test_sets}" ] || { log "Error: --test_sets is required"; exit 2; }
case "${token_type}" in bpe|char|word) ;; *)
    log "Error: --token_type must be bpe, char or word, not '${token_type}'"; exit 2 ;; esac
# --task: the training/decoding entry points; avsr reads video.scp beside wav.scp.
case "${task}" in
    asr) asr_train_module=espnet_lowrank.bin.asr_train; asr_inference_module=espnet_lowrank.bin.asr_inference ;;
    avsr) asr_train_module=espnet_lowrank.bin.avsr_train; asr_inference_module=espnet_lowrank.bin.avsr_inference ;;
    *) log "Error: --task must be asr or avsr, not '${task}'"; exit 2 ;;
esac
if [ "${task}" = avsr ]; then
    if [ -n "${speed_perturb_factors}" ]; then
        log "Error: --speed_perturb_factors does not apply to --task avsr (the video would not follow)"; exit 2
    fi
    case "${feats_normalize}" in
        global_mvn) log "--task avsr: no feature normalisation (the AV front-ends read raw audio and video)"
            feats_normalize="" ;;
        "") ;;
        *) log "Error: --task avsr takes no --feats_normalize (got '${feats_normalize}')"; exit 2 ;;
    esac
fi
# Speed perturbation: stage 2 writes data/${train_set}_sp, the training set of stages 2-13 (as
# ESPnet: exp and stats dirs get "_sp"; BPE and LM text default to the unperturbed transcripts).
sp_suffix=""
if [ -n "${speed_perturb_factors}" ]; then
    if ! sp_msg=$(${python} -m espnet_lowrank.bin.recipe_tools speed-perturb --check \
        --factors "${speed_perturb_factors}" 2>&1); then
        log "Error: --speed_perturb_factors '${speed_perturb_factors}': ${sp_msg##*error: }"; exit 2
    fi
    sp_suffix=_sp
    [ -n "${bpe_train_text}" ] || bpe_train_text=data/${train_set}/text
    [ -n "${lm_train_text}" ] || lm_train_text=data/${train_set}/text
fi
if [ "${dist_procs}" -gt 1 ] && [ "${ngpu}" -gt 0 ]; then
    log "Error: --dist_procs is for CPU training (--ngpu 0); use --ngpu for GPUs"; exit 2
fi
if [ "${num_nodes}" -gt 1 ] && [ "${cmd_backend:-local}" != slurm ]; then
    log "Error: --num_nodes ${num_nodes} needs cmd_backend=slurm in cmd.sh"; exit 2
fi
if [ "${num_nodes}" -gt 1 ] && [ "${dist_procs}" -gt 1 ]; then
    log "Error: --num_nodes and --dist_procs cannot be combined"; exit 2
fi
for v in train_cmd cuda_cmd decode_cmd; do
    [ -n "${!v:-}" ] || { log "Error: ${v} is not set by cmd.sh"; exit 2; }
done

# ---------------------------------------------------------------- derived names
data_feats=${dumpdir}/raw
read -r -a test_set_list <<<"${test_sets}"
if [ "${token_type}" = bpe ]; then
    token_listdir=data/token_list/bpe_${bpemode}${nbpe}
    bpemodel=${token_listdir}/bpe.model
else
    token_listdir=data/token_list/${token_type}
    bpemodel=none
fi
token_list=${token_listdir}/tokens.txt
[ -n "${bpe_train_text}" ] || bpe_train_text=${data_feats}/${train_set}/text
[ -n "${lm_train_text}" ] || lm_train_text=${data_feats}/${train_set}/text
[ -n "${lm_dev_text}" ] || lm_dev_text=${data_feats}/${valid_set}/text
[ -n "${lm_test_text}" ] || lm_test_text=${data_feats}/${test_set_list[0]}/text

if [ -z "${asr_tag}" ]; then
    if [ -n "${asr_config}" ]; then asr_tag=$(basename "${asr_config}" .yaml); else asr_tag=train; fi
    asr_tag+="_raw_${lang}_${token_type}"
    [ "${token_type}" = bpe ] && asr_tag+="${nbpe}"
    asr_tag+="${sp_suffix}"
fi
if [ -z "${lm_tag}" ]; then
    if [ -n "${lm_config}" ]; then lm_tag=$(basename "${lm_config}" .yaml); else lm_tag=train; fi
    lm_tag+="_${lang}_${token_type}"
    [ "${token_type}" = bpe ] && lm_tag+="${nbpe}"
fi
[ -n "${asr_exp}" ] || asr_exp=${expdir}/asr_${asr_tag}
[ -n "${lm_exp}" ] || lm_exp=${expdir}/lm_${lm_tag}
tok_suffix=${token_type}
[ "${token_type}" = bpe ] && tok_suffix+=${nbpe}
[ -n "${asr_stats_dir}" ] || asr_stats_dir=${expdir}/asr_stats_raw_${lang}_${tok_suffix}${sp_suffix}
[ -n "${lm_stats_dir}" ] || lm_stats_dir=${expdir}/lm_stats_${lang}_${tok_suffix}
if [ -z "${inference_tag}" ]; then
    if [ -n "${inference_config}" ]; then
        inference_tag=$(basename "${inference_config}" .yaml)
    else
        inference_tag=inference
    fi
    [[ ${inference_tag} == decode* ]] || inference_tag=decode_${inference_tag}
    if ${use_lm}; then inference_tag+="_lm_${lm_tag}_${inference_lm%.pth}"; fi
    inference_tag+="_asr_model_${inference_asr_model%.pth}"
    # avsr: audio-only / video-only decodes (--inference_args "--modality audio") get their own dir
    if [ "${task}" = avsr ] && [[ " ${inference_args} " =~ [[:space:]]--modality[[:space:]=]+([a-z]+) ]]; then
        inference_tag+="_${BASH_REMATCH[1]}"
    fi
fi

# Common tokenizer options shared by the ASR and LM tasks.
tok_opts=(--token_type "${token_type}" --token_list "${token_list}" --bpemodel "${bpemodel}"
          --non_linguistic_symbols none --cleaner none --g2p none)
read -r -a asr_extra <<<"${asr_args}"
read -r -a lm_extra <<<"${lm_args}"
read -r -a inference_extra <<<"${inference_args}"

# is_done MARKER: true when the stage can be skipped.
is_done() { ${skip_done} && [ -f "$1" ]; }

# Training command (stage 5 and 8): $1 = module, $2 = log, rest = arguments.
# Picks ESPnet's launch mode: one process, GPU spawn on one node, torchrun + gloo on CPU,
# or srun on several Slurm nodes.
run_training() {
    local module=$1 logfile=$2
    shift 2
    if [ "${num_nodes}" -gt 1 ]; then
        ${cuda_cmd} --gpu "${ngpu}" --num_nodes "${num_nodes}" "${logfile}" \
            slurm_ddp.sh ${python} -m "${module}" --ngpu "${ngpu}" \
            --multiprocessing_distributed true --dist_launcher slurm \
            --dist_init_method env:// "$@"
    elif [ "${dist_procs}" -gt 1 ]; then
        # CPU only: ESPnet compares LOCAL_RANK with CUDA_VISIBLE_DEVICES even with --ngpu 0.
        ${train_cmd} "${logfile}" env -u CUDA_VISIBLE_DEVICES \
            ${python} -m torch.distributed.run --standalone --nproc_per_node "${dist_procs}" \
            -m "${module}" --ngpu 0 --dist_backend gloo --multiprocessing_distributed false "$@"
    elif [ "${ngpu}" -gt 1 ]; then
        ${cuda_cmd} --gpu "${ngpu}" "${logfile}" \
            ${python} -m "${module}" --ngpu "${ngpu}" --multiprocessing_distributed true "$@"
    elif [ "${ngpu}" -eq 1 ]; then
        ${cuda_cmd} --gpu 1 "${logfile}" ${python} -m "${module}" --ngpu 1 "$@"
    else
        ${train_cmd} "${logfile}" ${python} -m "${module}" --ngpu 0 "$@"
    fi
}

# Stats collection (stage 4 and 7) split over nj jobs, then aggregated.
# $1 = module, $2 = train key table, $3 = valid key table, $4 = output dir, rest = args.
collect_stats() {
    local module=$1 train_keys=$2 valid_keys=$3 out=$4 n_train n_valid n
    shift 4
    local logdir=${out}/logdir
    rm -rf "${logdir}"
    mkdir -p "${logdir}"
    n_train=$(${python} -m espnet_lowrank.bin.recipe_tools split "${train_keys}" "${logdir}" "${nj}" --prefix train)
    n_valid=$(${python} -m espnet_lowrank.bin.recipe_tools split "${valid_keys}" "${logdir}" "${nj}" --prefix valid)
    n=$(( n_train < n_valid ? n_train : n_valid ))
    if [ "${n}" -lt "${n_train}" ]; then  # re-split train so both have n parts
        rm -f "${logdir}"/train.*.scp
        ${python} -m espnet_lowrank.bin.recipe_tools split "${train_keys}" "${logdir}" "${n}" --prefix train >/dev/null
    fi
    if [ "${n}" -lt "${n_valid}" ]; then
        rm -f "${logdir}"/valid.*.scp
        ${python} -m espnet_lowrank.bin.recipe_tools split "${valid_keys}" "${logdir}" "${n}" --prefix valid >/dev/null
    fi
    log "Collecting stats with ${n} job(s): ${logdir}/stats.*.log"
    ${train_cmd} JOB=1:"${n}" "${logdir}/stats.JOB.log" \
        ${python} -m "${module}" --collect_stats true --ngpu 0 \
        --train_shape_file "${logdir}/train.JOB.scp" --valid_shape_file "${logdir}/valid.JOB.scp" \
        --output_dir "${logdir}/stats.JOB" "$@"
    local inputs=()
    for ((i = 1; i <= n; i++)); do inputs+=(--input_dir "${logdir}/stats.${i}"); done
    ${python} -m espnet2.bin.aggregate_stats_dirs "${inputs[@]}" --output_dir "${out}"
}

# Decoding of one set (stage 9 and 14): its keys split over inference_nj jobs, N-best
# inference, the job outputs merged into $2/{1..N}best_recog. Makes $2 afresh; the caller
# handles its .done marker. $1 = set, $2 = output dir, $3 = N (--nbest), $4 = head of the log
# line, rest = further inference options (--config, LM files, --inference_args ...).
# Sets decode_jobs (jobs run) and decode_seconds (wall time of the jobs and the merge).
decode_set() {
    local dset=$1 dir=$2 n_best=$3 what=$4 n i start job_ngpu
    shift 4
    local logdir=${dir}/logdir
    local data=(--data_path_and_name_and_type "${data_feats}/${dset}/wav.scp,speech,sound")
    if [ "${task}" = avsr ]; then
        data+=(--data_path_and_name_and_type "${data_feats}/${dset}/video.scp,video,video_npy")
    fi
    rm -rf "${dir}"
    mkdir -p "${logdir}"
    n=$(${python} -m espnet_lowrank.bin.recipe_tools split "${data_feats}/${dset}/wav.scp" \
        "${logdir}" "${inference_nj}" --prefix keys)
    log "${what}, ${n} job(s) -> ${dir} (logs: ${logdir}/asr_inference.*.log)"
    local job_cmd=()
    # shellcheck disable=SC2206  # the job commands are word lists by design
    if [ "${ngpu}" -gt 0 ]; then job_cmd=(${cuda_cmd} --gpu 1); job_ngpu=1; else job_cmd=(${decode_cmd}); job_ngpu=0; fi
    start=${SECONDS}
    "${job_cmd[@]}" JOB=1:"${n}" "${logdir}/asr_inference.JOB.log" \
        ${python} -m "${asr_inference_module}" --batch_size 1 --ngpu "${job_ngpu}" \
        --nbest "${n_best}" "${data[@]}" \
        --key_file "${logdir}/keys.JOB.scp" \
        --asr_train_config "${asr_exp}/config.yaml" \
        --asr_model_file "${asr_exp}/${inference_asr_model}" \
        --output_dir "${logdir}/output.JOB" "$@"
    local job_dirs=()
    for ((i = 1; i <= n; i++)); do job_dirs+=("${logdir}/output.${i}"); done
    ${python} -m espnet_lowrank.bin.recipe_tools merge-decode --keys "${data_feats}/${dset}/wav.scp" \
        --out_dir "${dir}" "${job_dirs[@]}"
    decode_jobs=${n}
    decode_seconds=$((SECONDS - start))
}

log "$0 ${run_args}"
log "asr_exp=${asr_exp} lm_exp=${lm_exp} token_list=${token_list} backend=${cmd_backend:-?}"

# ---------------------------------------------------------------- stage 1
if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    all_present=true
    for dset in "${train_set}" "${valid_set}" "${test_set_list[@]}"; do
        for f in wav.scp text utt2spk $([ "${task}" = avsr ] && echo video.scp); do
            [ -f "data/${dset}/${f}" ] || all_present=false
        done
    done
    if ${skip_done} && ${all_present}; then
        log "Stage 1: skipped (data/{${train_set},${valid_set},${test_sets// /,}} exist)"
    else
        log "Stage 1: data preparation: local/data.sh ${local_data_opts}"
        [ -x local/data.sh ] || [ -f local/data.sh ] || { log "Error: local/data.sh not found in ${PWD}"; exit 1; }
        # shellcheck disable=SC2086
        python="${python}" bash local/data.sh ${local_data_opts}
    fi
fi

# ---------------------------------------------------------------- stage 2
# Speed perturbation: data/${train_set} -> data/${train_set}_sp (audio files written by
# nj jobs), which is the training set from here on, as in ESPnet.
if [ -n "${speed_perturb_factors}" ]; then
    sp_src=data/${train_set}
    sp_dst=data/${train_set}${sp_suffix}
    if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
        if is_done "${sp_dst}/.done"; then
            log "Stage 2: skipped speed perturbation (${sp_dst}/.done exists)"
        else
            log "Stage 2: speed perturbation (${speed_perturb_factors}): ${sp_src} -> ${sp_dst}"
            ${skip_done} || rm -rf "${sp_dst}"  # otherwise complete audio files are reused
            sp_opts=(--factors "${speed_perturb_factors}")
            ${python} -m espnet_lowrank.bin.recipe_tools speed-perturb "${sp_src}" "${sp_dst}" "${sp_opts[@]}" --check
            sp_logdir=${sp_dst}/logdir
            rm -rf "${sp_logdir}"
            n=$(${python} -m espnet_lowrank.bin.recipe_tools split "${sp_src}/wav.scp" "${sp_logdir}" "${nj}" --prefix keys)
            log "Stage 2: perturbing audio with ${n} job(s) (logs: ${sp_logdir}/speed_perturb.*.log)"
            ${train_cmd} JOB=1:"${n}" "${sp_logdir}/speed_perturb.JOB.log" \
                ${python} -m espnet_lowrank.bin.recipe_tools speed-perturb "${sp_src}" "${sp_dst}" \
                "${sp_opts[@]}" --keys "${sp_logdir}/keys.JOB.scp"
            ${python} -m espnet_lowrank.bin.recipe_tools speed-perturb "${sp_src}" "${sp_dst}" \
                "${sp_opts[@]}" --no_progress
            touch "${sp_dst}/.done"
        fi
    fi
    train_set=${train_set}${sp_suffix}
fi
if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    for dset in "${train_set}" "${valid_set}" "${test_set_list[@]}"; do
        out=${data_feats}/${dset}
        if is_done "${out}/.done"; then
            log "Stage 2: skipped ${dset} (${out}/.done exists)"; continue
        fi
        opts=(--fs "${fs}")
        if [ "${dset}" = "${train_set}" ]; then  # as ESPnet: only training data is filtered
            opts+=(--min_sec "${min_wav_duration}" --max_sec "${max_wav_duration}" --drop_empty_text)
        fi
        log "Stage 2: formatting data/${dset} -> ${out}"
        rm -rf "${out}"
        ${python} -m espnet_lowrank.bin.recipe_tools format-data "data/${dset}" "${out}" "${opts[@]}"
        if [ "${task}" = avsr ]; then  # mouth-crop arrays of the kept utterances (video_npy)
            ${python} -m espnet_lowrank.bin.avsr_data format-video "data/${dset}" "${out}" --fs "${fs}"
        fi
        touch "${out}/.done"
    done
fi

# ---------------------------------------------------------------- stage 3
if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
    if is_done "${token_listdir}/.done"; then
        log "Stage 3: skipped (${token_list} exists)"
    else
        log "Stage 3: ${token_type} token list from ${bpe_train_text} -> ${token_listdir}"
        rm -rf "${token_listdir}"
        ${python} -m espnet_lowrank.bin.recipe_tools token-list --token_type "${token_type}" \
            --text "${bpe_train_text}" --out_dir "${token_listdir}" --nbpe "${nbpe}" --bpemode "${bpemode}"
        touch "${token_listdir}/.done"
    fi
fi

lm_train_opts=()
[ -n "${lm_config}" ] && lm_train_opts+=(--config "${lm_config}")
lm_train_all=${data_feats}/lm_train.txt  # all of --lm_train_text, made in stage 4
lm_train_opts+=("${tok_opts[@]}" --use_preprocessor true
    --train_data_path_and_name_and_type "${lm_train_all},text,text"
    --valid_data_path_and_name_and_type "${lm_dev_text},text,text")

# ---------------------------------------------------------------- stage 4-6 (LM)
if ${use_lm}; then
    if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
        if is_done "${lm_stats_dir}/.done"; then
            log "Stage 4: skipped (${lm_stats_dir}/.done exists)"
        else
            log "Stage 4: LM statistics -> ${lm_stats_dir}"
            rm -rf "${lm_stats_dir}"
            read -r -a lm_texts <<<"${lm_train_text}"
            log "Stage 4: LM training text ${lm_train_all} from ${lm_texts[*]}"
            cat "${lm_texts[@]}" | awk 'NF > 1' >"${lm_train_all}"
            collect_stats espnet_lowrank.bin.lm_train "${lm_train_all}" "${lm_dev_text}" \
                "${lm_stats_dir}" "${lm_train_opts[@]}" "${lm_extra[@]}"
            ${python} -m espnet_lowrank.bin.recipe_tools text-shape "${lm_stats_dir}/train/text_shape" \
                "${token_list}" "${lm_stats_dir}/train/text_shape.${token_type}"
            ${python} -m espnet_lowrank.bin.recipe_tools text-shape "${lm_stats_dir}/valid/text_shape" \
                "${token_list}" "${lm_stats_dir}/valid/text_shape.${token_type}"
            touch "${lm_stats_dir}/.done"
        fi
    fi
    if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
        if is_done "${lm_exp}/.done"; then
            log "Stage 5: skipped (${lm_exp}/.done exists)"
        else
            log "Stage 5: LM training -> ${lm_exp} (log: ${lm_exp}/train.log)"
            mkdir -p "${lm_exp}"
            run_training espnet_lowrank.bin.lm_train "${lm_exp}/train.log" \
                "${lm_train_opts[@]}" \
                --train_shape_file "${lm_stats_dir}/train/text_shape.${token_type}" \
                --valid_shape_file "${lm_stats_dir}/valid/text_shape.${token_type}" \
                --fold_length 150 --resume true --use_matplotlib false \
                --output_dir "${lm_exp}" "${lm_extra[@]}"
            touch "${lm_exp}/.done"
        fi
    fi
    if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
        ppl_dir=${lm_exp}/perplexity_$(basename "$(dirname "${lm_test_text}")")
        if is_done "${ppl_dir}/.done"; then
            log "Stage 6: skipped (${ppl_dir}/.done exists)"
        else
            log "Stage 6: LM perplexity on ${lm_test_text} -> ${ppl_dir}"
            rm -rf "${ppl_dir}"
            mkdir -p "${ppl_dir}"
            ${train_cmd} "${ppl_dir}/ppl.log" ${python} -m espnet_lowrank.bin.lm_calc_perplexity \
                --ngpu "$([ "${ngpu}" -gt 0 ] && echo 1 || echo 0)" \
                --data_path_and_name_and_type "${lm_test_text},text,text" \
                --train_config "${lm_exp}/config.yaml" --model_file "${lm_exp}/${inference_lm}" \
                --output_dir "${ppl_dir}"
            log "Stage 6: perplexity $(cat "${ppl_dir}/ppl")"
            touch "${ppl_dir}/.done"
        fi
    fi
else
    log "Stages 4-6: skipped (--use_lm false)"
fi

# ---------------------------------------------------------------- stage 7-8 (ASR)
asr_data_opts=(--train_data_path_and_name_and_type "${data_feats}/${train_set}/wav.scp,speech,sound"
    --train_data_path_and_name_and_type "${data_feats}/${train_set}/text,text,text"
    --valid_data_path_and_name_and_type "${data_feats}/${valid_set}/wav.scp,speech,sound"
    --valid_data_path_and_name_and_type "${data_feats}/${valid_set}/text,text,text")
asr_common_opts=()
[ -n "${asr_config}" ] && asr_common_opts+=(--config "${asr_config}")
if [ "${task}" = avsr ]; then  # no feature front-end: the model's AV front-ends read raw data
    asr_data_opts+=(--train_data_path_and_name_and_type "${data_feats}/${train_set}/video.scp,video,video_npy"
        --valid_data_path_and_name_and_type "${data_feats}/${valid_set}/video.scp,video,video_npy")
    asr_common_opts+=("${tok_opts[@]}" --use_preprocessor true)
else
    asr_common_opts+=("${tok_opts[@]}" --use_preprocessor true --frontend_conf "fs=${fs}")
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
    if is_done "${asr_stats_dir}/.done"; then
        log "Stage 7: skipped (${asr_stats_dir}/.done exists)"
    else
        log "Stage 7: ASR statistics -> ${asr_stats_dir}"
        rm -rf "${asr_stats_dir}"
        collect_stats "${asr_train_module}" "${data_feats}/${train_set}/wav.scp" \
            "${data_feats}/${valid_set}/wav.scp" "${asr_stats_dir}" \
            "${asr_common_opts[@]}" "${asr_data_opts[@]}" "${asr_extra[@]}"
        for part in train valid; do
            ${python} -m espnet_lowrank.bin.recipe_tools text-shape "${asr_stats_dir}/${part}/text_shape" \
                "${token_list}" "${asr_stats_dir}/${part}/text_shape.${token_type}"
        done
        touch "${asr_stats_dir}/.done"
    fi
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
    if is_done "${asr_exp}/.done"; then
        log "Stage 8: skipped (${asr_exp}/.done exists)"
    else
        norm_opts=()
        if [ "${feats_normalize}" = global_mvn ]; then
            norm_opts=(--normalize global_mvn --normalize_conf "stats_file=${asr_stats_dir}/train/feats_stats.npz")
        elif [ -n "${feats_normalize}" ]; then
            norm_opts=(--normalize "${feats_normalize}")
        fi
        if [ -f "${asr_exp}/checkpoint.pth" ]; then
            done_epochs=$(${python} -m espnet_lowrank.bin.recipe_tools checkpoint-epoch "${asr_exp}/checkpoint.pth")
            log "Stage 8: resuming from ${asr_exp}/checkpoint.pth (${done_epochs} epoch(s) done)"
        fi
        log "Stage 8: ASR training -> ${asr_exp} (log: ${asr_exp}/train.log)"
        mkdir -p "${asr_exp}"
        run_training "${asr_train_module}" "${asr_exp}/train.log" \
            "${asr_common_opts[@]}" "${norm_opts[@]}" "${asr_data_opts[@]}" \
            --train_shape_file "${asr_stats_dir}/train/speech_shape" \
            --train_shape_file "${asr_stats_dir}/train/text_shape.${token_type}" \
            --valid_shape_file "${asr_stats_dir}/valid/speech_shape" \
            --valid_shape_file "${asr_stats_dir}/valid/text_shape.${token_type}" \
            --fold_length 80000 --fold_length 150 --resume true --use_matplotlib false \
            --output_dir "${asr_exp}" "${asr_extra[@]}"
        [ -e "${asr_exp}/${inference_asr_model}" ] || {
            log "Error: training finished but ${asr_exp}/${inference_asr_model} is missing"
            log "(set --inference_asr_model to a file the trainer wrote, e.g. valid.loss.best.pth)"
            exit 1
        }
        # Parameters, seconds per epoch and ranks for RESULTS.md (model_info.json, ranks.png).
        ${python} -m espnet_lowrank.bin.model_info train --exp_dir "${asr_exp}" --plot "${asr_exp}/ranks.png"
        touch "${asr_exp}/.done"
    fi
fi

# ---------------------------------------------------------------- stage 8 (rank analysis)
if ${rank_analysis} && [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
    out=${asr_exp}/rank_analysis
    if is_done "${out}/.done"; then
        log "Stage 8: rank analysis skipped (${out}/.done exists)"
    else
        log "Stage 8: rank analysis of ${asr_exp}/${inference_asr_model} -> ${out}"
        rm -rf "${out}"
        # shellcheck disable=SC2086  # options are a word list by design
        ${python} -m espnet_lowrank.bin.rank_analysis "${asr_exp}/${inference_asr_model}" \
            --config "${asr_exp}/config.yaml" --out_dir "${out}" ${rank_analysis_args}
        touch "${out}/.done"
    fi
fi

# ---------------------------------------------------------------- stage 9 (decoding)
if [ "${stage}" -le 9 ] && [ "${stop_stage}" -ge 9 ]; then
    dec_opts=()
    [ -n "${inference_config}" ] && dec_opts+=(--config "${inference_config}")
    if ${use_lm}; then
        dec_opts+=(--lm_train_config "${lm_exp}/config.yaml" --lm_file "${lm_exp}/${inference_lm}")
    fi
    for dset in "${test_set_list[@]}"; do
        dir=${asr_exp}/${inference_tag}/${dset}
        if is_done "${dir}/.done"; then
            log "Stage 9: skipped ${dset} (${dir}/.done exists)"; continue
        fi
        decode_set "${dset}" "${dir}" "${nbest}" "Stage 9: decoding ${dset}" \
            "${dec_opts[@]}" "${inference_extra[@]}"
        ${python} -m espnet_lowrank.bin.model_info decode --exp_dir "${asr_exp}" --set "${dset}" \
            --wall_seconds "${decode_seconds}" --jobs "${decode_jobs}" --fs "${fs}" \
            --utt2num_samples "${data_feats}/${dset}/utt2num_samples"
        touch "${dir}/.done"
    done
fi

# ---------------------------------------------------------------- stage 10 (scoring)
if [ "${stage}" -le 10 ] && [ "${stop_stage}" -ge 10 ]; then
    for dset in "${test_set_list[@]}"; do
        dir=${asr_exp}/${inference_tag}/${dset}
        for unit in word char; do
            metric=$([ "${unit}" = word ] && echo wer || echo cer)
            out=${dir}/score_${metric}
            if is_done "${out}/.done"; then
                log "Stage 10: skipped ${dset} ${metric} (${out}/.done exists)"; continue
            fi
            log "Stage 10: scoring ${dset} (${metric}) -> ${out}/result.txt"
            ${python} -m espnet_lowrank.bin.score --ref "${data_feats}/${dset}/text" \
                --hyp "${dir}/1best_recog/text" --out_dir "${out}" --unit "${unit}"
            touch "${out}/.done"
        done
    done
fi

# ---------------------------------------------------------------- stage 11 (RESULTS.md)
if [ "${stage}" -le 11 ] && [ "${stop_stage}" -ge 11 ]; then
    if ${skip_done} && [ -f "${asr_exp}/RESULTS.md" ] \
        && [ -z "$(find "${asr_exp}" -name result.txt -newer "${asr_exp}/RESULTS.md")" ]; then
        log "Stage 11: skipped (${asr_exp}/RESULTS.md is newer than every score)"
    else
        log "Stage 11: ${asr_exp}/RESULTS.md and ./RESULTS.md (all of ${expdir})"
        # A folder holding only this model, so its RESULTS.md (packed with it) is its own.
        one_model=$(mktemp -d)
        ln -s "$(cd "${asr_exp}" && pwd)" "${one_model}/$(basename "${asr_exp}")"
        ${python} -m espnet_lowrank.bin.make_results --exp_dir "${one_model}" --out "${asr_exp}/RESULTS.md"
        rm -rf "${one_model}"
        ${python} -m espnet_lowrank.bin.make_results --exp_dir "${expdir}" --out RESULTS.md
    fi
fi

packed_model=${asr_exp}/$(basename "${asr_exp}")_${inference_asr_model%.pth}.zip
# ---------------------------------------------------------------- stage 12 (packing)
if [ "${stage}" -le 12 ] && [ "${stop_stage}" -ge 12 ]; then
    if is_done "${packed_model}" && [ "${packed_model}" -nt "${asr_exp}/RESULTS.md" ]; then
        log "Stage 12: skipped (${packed_model} is newer than RESULTS.md)"
    else
        log "Stage 12: packing -> ${packed_model}"
        pack_opts=(--asr_train_config "${asr_exp}/config.yaml"
            --asr_model_file "${asr_exp}/${inference_asr_model}"
            --option "${asr_exp}/RESULTS.md")
        if [ "${feats_normalize}" = global_mvn ]; then
            pack_opts+=(--option "${asr_stats_dir}/train/feats_stats.npz")
        fi
        [ "${token_type}" = bpe ] && pack_opts+=(--option "${bpemodel}")
        if ${use_lm}; then
            pack_opts+=(--lm_train_config "${lm_exp}/config.yaml" --lm_file "${lm_exp}/${inference_lm}")
        fi
        ${python} -m espnet_lowrank.bin.pack asr "${pack_opts[@]}" --outpath "${packed_model}"
    fi
fi

# ---------------------------------------------------------------- stage 13 (upload)
if [ "${stage}" -le 13 ] && [ "${stop_stage}" -ge 13 ]; then
    if ${skip_upload}; then
        log "Stage 13: skipped (--skip_upload true)"
    else
        up_opts=(--packed_zip "${packed_model}" --results_md "${asr_exp}/RESULTS.md")
        if [ -n "${hf_repo}" ] && [ -n "${HF_TOKEN:-}" ]; then
            log "Stage 13: uploading ${packed_model} to https://huggingface.co/${hf_repo}"
            ${python} -m espnet_lowrank.bin.upload "${up_opts[@]}" --hf_repo "${hf_repo}"
        else
            repo=${hf_repo:-espnet_lowrank/$(basename "${asr_exp}" | tr -c 'A-Za-z0-9._\n-' '_')}
            out=${asr_exp}/hf_upload_dry_run
            if is_done "${out}/.done" && [ "${out}/.done" -nt "${packed_model}" ]; then
                log "Stage 13: skipped (${out} is newer than ${packed_model})"
            else
                log "Stage 13: dry run (needs --hf_repo and \$HF_TOKEN to upload) -> ${out}"
                rm -rf "${out}"
                ${python} -m espnet_lowrank.bin.upload "${up_opts[@]}" --hf_repo "${repo}" --dry_run "${out}"
                touch "${out}/.done"
            fi
        fi
    fi
fi

# ---------------------------------------------------------------- stages 14-19 (LoRA LM rescoring)
# N-best lists of dev and test sets (decoded without LM), a base LM on general-domain
# text (shared by every ASR model), one LoRA adaptation of it per strategy on in-domain
# text, rescoring with lambda/beta tuned on dev, NPRR, and <asr_exp>/rescoring_results.md.
if [ "${stop_stage}" -ge 14 ] && ! ${lora_rescoring}; then
    [ "${stage}" -le 19 ] && log "Stages 14-19: skipped (--lora_rescoring false)"
elif [ "${stop_stage}" -ge 14 ] && [ "${stage}" -le 19 ]; then
    [ -n "${lm_general_config}" ] || lm_general_config=${lm_config}
    for v in lm_general_text lm_indomain_text lm_general_config; do
        [ -n "${!v}" ] || { log "Error: --lora_rescoring true needs --${v}"; exit 2; }
    done
    read -r -a lm_general_files <<<"${lm_general_text}"
    read -r -a lm_indomain_files <<<"${lm_indomain_text}"
    for f in "${lm_general_files[@]}" "${lm_indomain_files[@]}" "${lm_general_config}"; do
        [ -f "${f}" ] || { log "Error: ${f} (--lm_general_text/--lm_indomain_text/--lm_general_config) not found"; exit 2; }
    done
    read -r -a lora_strategy_list <<<"${lora_strategies}"
    [ "${#lora_strategy_list[@]}" -gt 0 ] || { log "Error: --lora_strategies is empty"; exit 2; }
    for s in "${lora_strategy_list[@]}"; do
        case "${s}" in vanilla|dynamic|warmup|mixed) ;; *)
            log "Error: unknown LoRA strategy '${s}' in --lora_strategies (vanilla, dynamic, warmup, mixed)"; exit 2 ;; esac
        [ -f "${lora_config_dir}/${s}.yaml" ] || { log "Error: ${lora_config_dir}/${s}.yaml not found (--lora_config_dir)"; exit 2; }
    done
    [ "${rescore_nbest}" -ge 1 ] || { log "Error: --rescore_nbest must be >= 1"; exit 2; }
    if [ -z "${lm_general_tag}" ]; then
        lm_general_tag=$(basename "${lm_general_config}" .yaml)_${lang}_${tok_suffix}
    fi
    lm_general_exp=${expdir}/lm_general_${lm_general_tag}
    lm_indomain_data=${expdir}/lm_indomain_${lang}_${tok_suffix}  # text + shape files
    lora_exp_of() { echo "${expdir}/lm_$(basename "${lora_config_dir}")_${1}_on_${lm_general_tag}"; }
    rescore_root=${asr_exp}/rescoring
    nbest_root=${rescore_root}/nbest${rescore_nbest}
    rescore_sets=("${valid_set}")
    for dset in "${test_set_list[@]}"; do [ "${dset}" = "${valid_set}" ] || rescore_sets+=("${dset}"); done
    [ "${#rescore_sets[@]}" -gt 1 ] || { log "Error: rescoring needs a test set other than --valid_set ${valid_set}"; exit 2; }
    read -r -a lm_general_extra <<<"${lm_general_args}"
    read -r -a lora_extra <<<"${lora_args}"
    read -r -a lm_full_extra <<<"${lm_full_finetune_args}"
    lm_full_exp=${expdir}/lm_full_finetune_on_${lm_general_tag}
    read -r -a rescore_extra <<<"${rescore_args}"
    read -r -a rescore_inference_extra <<<"${rescore_inference_args}"
    read -r -a nprr_seed_list <<<"${nprr_seeds}"
    nprr_common=()
    [ -n "${nprr_common_lm_weight}" ] && nprr_common=(--common_lm_weight "${nprr_common_lm_weight}"
        --dev_set "${valid_set}")
    lm_device=$([ "${ngpu}" -gt 0 ] && echo cuda || echo cpu)
    # ESPnet LM training options for the text and shape files that lm-data wrote to $1
    lm_text_opts() {
        text_opts=("${tok_opts[@]}" --use_preprocessor true
            --train_data_path_and_name_and_type "$1/train.txt,text,text"
            --valid_data_path_and_name_and_type "$1/valid.txt,text,text"
            --train_shape_file "$1/train_shape.${token_type}"
            --valid_shape_file "$1/valid_shape.${token_type}"
            --fold_length 150 --resume true --use_matplotlib false)
    }
    # LM systems: NAME=CONFIG,MODEL (the unadapted base LM, then one per strategy)
    lm_systems=("base=${lm_general_exp}/config.yaml,${lm_general_exp}/${inference_lm}")
    for s in "${lora_strategy_list[@]}"; do
        lm_systems+=("${s}=$(lora_exp_of "${s}")/config.yaml,$(lora_exp_of "${s}")/${inference_lm}")
    done
    ${lm_full_finetune} && lm_systems+=("full=${lm_full_exp}/config.yaml,${lm_full_exp}/${inference_lm}")

    # ------------------------------------------------------------ stage 14 (N-best)
    if [ "${stage}" -le 14 ]; then
        nb_opts=()
        [ -n "${inference_config}" ] && nb_opts+=(--config "${inference_config}")
        for dset in "${rescore_sets[@]}"; do
            dir=${nbest_root}/${dset}
            if is_done "${dir}/.done"; then
                log "Stage 14: skipped ${dset} (${dir}/.done exists)"; continue
            fi
            rm -rf "${dir}"
            mkdir -p "${nbest_root}"
            stage9_dir=${asr_exp}/${inference_tag}/${dset}
            if ! ${use_lm} && [ "${nbest}" -ge "${rescore_nbest}" ] && [ -z "${rescore_inference_args}" ] \
                && [ -f "${stage9_dir}/.done" ]; then
                log "Stage 14: ${dset}: stage 9's ${nbest}-best lists (decoded without LM) -> ${dir}"
                ln -s "$(cd "${stage9_dir}" && pwd)" "${dir}"
                continue
            fi
            decode_set "${dset}" "${dir}" "${rescore_nbest}" \
                "Stage 14: ${rescore_nbest}-best decoding of ${dset} without LM" \
                "${nb_opts[@]}" "${inference_extra[@]}" "${rescore_inference_extra[@]}"
            touch "${dir}/.done"
        done
    fi

    # ------------------------------------------------------------ stage 15 (base LM)
    if [ "${stage}" -le 15 ] && [ "${stop_stage}" -ge 15 ]; then
        if is_done "${lm_general_exp}/.done"; then
            log "Stage 15: skipped (${lm_general_exp}/.done exists)"
        else
            log "Stage 15: general-domain base LM on ${lm_general_files[*]} -> ${lm_general_exp} (log: ${lm_general_exp}/train.log)"
            mkdir -p "${lm_general_exp}"
            ${python} -m espnet_lowrank.bin.lora_rescoring lm-data "${tok_opts[@]}" \
                --text "${lm_general_files[@]}" --valid_text "${lm_dev_text}" --out_dir "${lm_general_exp}/data"
            lm_text_opts "${lm_general_exp}/data"
            run_training espnet_lowrank.bin.lm_train "${lm_general_exp}/train.log" \
                --config "${lm_general_config}" "${text_opts[@]}" \
                --output_dir "${lm_general_exp}" "${lm_general_extra[@]}"
            [ -e "${lm_general_exp}/${inference_lm}" ] || {
                log "Error: ${lm_general_exp}/${inference_lm} is missing after training (--inference_lm)"; exit 1; }
            touch "${lm_general_exp}/.done"
        fi
    fi

    # ------------------------------------------------------------ stage 16 (LoRA adaptation)
    if [ "${stage}" -le 16 ] && [ "${stop_stage}" -ge 16 ]; then
        if is_done "${lm_indomain_data}/.done"; then
            log "Stage 16: skipped in-domain text (${lm_indomain_data}/.done exists)"
        else
            log "Stage 16: in-domain LM text ${lm_indomain_files[*]} -> ${lm_indomain_data}"
            rm -rf "${lm_indomain_data}"
            ${python} -m espnet_lowrank.bin.lora_rescoring lm-data "${tok_opts[@]}" \
                --text "${lm_indomain_files[@]}" --valid_text "${lm_dev_text}" --out_dir "${lm_indomain_data}"
            touch "${lm_indomain_data}/.done"
        fi
        for s in "${lora_strategy_list[@]}"; do
            lexp=$(lora_exp_of "${s}")
            if is_done "${lexp}/.done"; then
                log "Stage 16: skipped ${s} (${lexp}/.done exists)"; continue
            fi
            log "Stage 16: LoRA adaptation (${s}, ${lora_config_dir}/${s}.yaml) of ${lm_general_exp} -> ${lexp} (log: ${lexp}/train.log)"
            mkdir -p "${lexp}"
            lm_text_opts "${lm_indomain_data}"
            adapt_opts=(--config "${lora_config_dir}/${s}.yaml"
                --base_lm_config "${lm_general_exp}/config.yaml"
                --base_lm_file "${lm_general_exp}/${inference_lm}"
                "${text_opts[@]}" --output_dir "${lexp}")
            if [ "${s}" = warmup ] && { [ "${dist_procs}" -gt 1 ] || [ "${ngpu}" -gt 1 ] || [ "${num_nodes}" -gt 1 ]; }; then
                # the warm-up truncation changes adapter shapes, which DDP cannot follow
                log "Stage 16: warmup trains in one process (not distributed)"
                (
                    dist_procs=1; num_nodes=1
                    if [ "${ngpu}" -gt 1 ]; then ngpu=1; fi
                    run_training espnet_lowrank.bin.lm_adapt_train "${lexp}/train.log" "${adapt_opts[@]}" "${lora_extra[@]}"
                )
            else
                run_training espnet_lowrank.bin.lm_adapt_train "${lexp}/train.log" "${adapt_opts[@]}" "${lora_extra[@]}"
            fi
            for f in "${inference_lm}" lora_ranks.yaml; do
                [ -e "${lexp}/${f}" ] || { log "Error: ${lexp}/${f} is missing after adaptation"; exit 1; }
            done
            touch "${lexp}/.done"
        done
        if ${lm_full_finetune} && is_done "${lm_full_exp}/.done"; then
            log "Stage 16: skipped full fine-tuning (${lm_full_exp}/.done exists)"
        elif ${lm_full_finetune}; then
            # the reference the LoRA paper compares with: every base LM weight trainable, from
            # the base LM's config and weights (ESPnet --init_param), on the in-domain text
            log "Stage 16: full fine-tuning of ${lm_general_exp} (${lm_full_finetune_args}) -> ${lm_full_exp} (log: ${lm_full_exp}/train.log)"
            mkdir -p "${lm_full_exp}"
            lm_text_opts "${lm_indomain_data}"
            run_training espnet_lowrank.bin.lm_train "${lm_full_exp}/train.log" \
                --config "${lm_general_config}" --init_param "${lm_general_exp}/${inference_lm}" \
                "${text_opts[@]}" --output_dir "${lm_full_exp}" "${lm_full_extra[@]}"
            [ -e "${lm_full_exp}/${inference_lm}" ] || {
                log "Error: ${lm_full_exp}/${inference_lm} is missing after fine-tuning"; exit 1; }
            touch "${lm_full_exp}/.done"
        fi
    fi

    # ------------------------------------------------------------ stage 17 (rescoring)
    if [ "${stage}" -le 17 ] && [ "${stop_stage}" -ge 17 ]; then
        todo=(); todo_names=()
        for sys in "${lm_systems[@]}"; do
            name=${sys%%=*}
            if is_done "${rescore_root}/${name}/.done"; then
                log "Stage 17: skipped ${name} (${rescore_root}/${name}/.done exists)"; continue
            fi
            todo+=(--system "${sys}"); todo_names+=("${name}")
        done
        if [ "${#todo_names[@]}" -gt 0 ]; then
            log "Stage 17: rescoring ${rescore_sets[*]} with ${todo_names[*]} (λ, β tuned on ${valid_set}) -> ${rescore_root}/<system>"
            for name in "${todo_names[@]}"; do rm -rf "${rescore_root:?}/${name}"; done
            mkdir -p "${rescore_root}"
            ${train_cmd} "${rescore_root}/rescore.log" ${python} -m espnet_lowrank.bin.lora_rescoring rescore \
                "${todo[@]}" --nbest_root "${nbest_root}" --ref_root "${data_feats}" \
                --dev_set "${valid_set}" --test_sets "${rescore_sets[@]}" --out_root "${rescore_root}" \
                --nbest "${rescore_nbest}" --device "${lm_device}" "${rescore_extra[@]}"
            for name in "${todo_names[@]}"; do touch "${rescore_root}/${name}/.done"; done
        fi
    fi

    # ------------------------------------------------------------ stage 18 (NPRR)
    if [ "${stage}" -le 18 ] && [ "${stop_stage}" -ge 18 ]; then
        todo=(); todo_names=()
        for sys in "${lm_systems[@]}"; do
            name=${sys%%=*}
            if is_done "${rescore_root}/${name}/.nprr_done"; then
                log "Stage 18: skipped ${name} (${rescore_root}/${name}/.nprr_done exists)"; continue
            fi
            todo+=(--system "${sys}"); todo_names+=("${name}")
        done
        if [ "${#todo_names[@]}" -gt 0 ]; then
            log "Stage 18: NPRR (p=${nprr_p}, seeds ${nprr_seeds}) of ${todo_names[*]} on ${rescore_sets[*]:1}"
            ${train_cmd} "${rescore_root}/nprr.log" ${python} -m espnet_lowrank.bin.lora_rescoring nprr \
                "${todo[@]}" --nbest_root "${nbest_root}" --ref_root "${data_feats}" \
                --test_sets "${rescore_sets[@]:1}" --out_root "${rescore_root}" --nbest "${rescore_nbest}" \
                --vocab "${lm_general_exp}/data/train.txt" "${lm_indomain_data}/train.txt" \
                --p "${nprr_p}" --seeds "${nprr_seed_list[@]}" --device "${lm_device}" \
                "${nprr_common[@]}"
            for name in "${todo_names[@]}"; do touch "${rescore_root}/${name}/.nprr_done"; done
        fi
    fi

    # ------------------------------------------------------------ stage 19 (table, RESULTS.md)
    if [ "${stage}" -le 19 ] && [ "${stop_stage}" -ge 19 ]; then
        table=${asr_exp}/rescoring_results.md
        if ${skip_done} && [ -f "${table}" ] \
            && [ -z "$(find "${rescore_root}" -name '*.yaml' -newer "${table}")" ]; then
            log "Stage 19: skipped (${table} is newer than every rescoring result)"
        else
            log "Stage 19: rescoring table -> ${table}"
            report_opts=()
            for s in "${lora_strategy_list[@]}"; do report_opts+=(--strategy "${s}=$(lora_exp_of "${s}")"); done
            ${lm_full_finetune} && report_opts+=(--full_finetune full)
            ${python} -m espnet_lowrank.bin.lora_rescoring report --nbest_root "${nbest_root}" \
                --ref_root "${data_feats}" --out_root "${rescore_root}" --dev_set "${valid_set}" \
                --test_sets "${rescore_sets[@]:1}" --base base "${report_opts[@]}" \
                --nbest "${rescore_nbest}" --out "${table}"
            if [ -n "$(find "${asr_exp}" -name result.txt -print -quit)" ]; then
                log "Stage 19: ${asr_exp}/RESULTS.md and ./RESULTS.md with the rescoring table"
                one_model=$(mktemp -d)
                ln -s "$(cd "${asr_exp}" && pwd)" "${one_model}/$(basename "${asr_exp}")"
                ${python} -m espnet_lowrank.bin.make_results --exp_dir "${one_model}" --out "${asr_exp}/RESULTS.md"
                rm -rf "${one_model}"
                ${python} -m espnet_lowrank.bin.make_results --exp_dir "${expdir}" --out RESULTS.md
            else
                log "Stage 19: no scored decoding in ${asr_exp} (stage 10): RESULTS.md not rewritten"
            fi
        fi
    fi
fi

log "Successfully finished. [elapsed=${SECONDS}s]"
