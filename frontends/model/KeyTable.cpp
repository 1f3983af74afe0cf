//===- KeyTable.cpp - The keys a model description may contain -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Recorded model keys come from NeMo's megatron_gpt_config.yaml and
// megatron_llama_config.yaml (examples/nlp/language_modeling/conf), the
// prompt-learning and PEFT keys from megatron_gpt_prompt_learning_config.yaml
// and tuning/conf/megatron_gpt_finetuning_config.yaml; trainer keys are
// PyTorch Lightning Trainer arguments. docs/model-description.md
// lists the same keys for users: keep the two in step.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/KeyTable.h"

#include "frontends/model/EditDistance.h"

#include <unordered_map>

namespace strata::frontend {

namespace {

constexpr KeyUse U = KeyUse::Used;
constexpr KeyUse R = KeyUse::Recorded;

const std::vector<KeyInfo> &table(Section section) {
  static const std::vector<KeyInfo> topLevel = {
      {"name", U},          {"model", U},    {"trainer", U},
      {"restore_from_path", R}, {"exp_manager", R}, {"hydra", R},
      {"defaults", R},      {"run", R},      {"inference", R},
      // NeMo-Framework-Launcher's own keys, which its training configs
      // interpolate (`${data_dir}/bpe/vocab.json`); given with an override
      // (`data_dir=DIR`) as the launcher does.
      {"data_dir", R},      {"base_results_dir", R},
  };
  static const std::vector<KeyInfo> trainer = {
      {"devices", U},
      {"num_nodes", U},
      {"precision", U},
      {"accelerator", R},
      {"strategy", R},
      {"logger", R},
      {"callbacks", R},
      {"enable_checkpointing", R},
      {"enable_progress_bar", R},
      {"enable_model_summary", R},
      {"use_distributed_sampler", R},
      {"replace_sampler_ddp", R},
      {"max_epochs", R},
      {"min_epochs", R},
      {"max_steps", U},
      {"min_steps", R},
      {"max_time", R},
      {"log_every_n_steps", U},
      {"val_check_interval", U},
      {"check_val_every_n_epoch", R},
      {"num_sanity_val_steps", R},
      {"limit_train_batches", R},
      {"limit_val_batches", U},
      {"limit_test_batches", R},
      {"limit_predict_batches", R},
      {"overfit_batches", R},
      {"fast_dev_run", R},
      {"accumulate_grad_batches", R},
      {"gradient_clip_val", U},
      {"gradient_clip_algorithm", R},
      {"deterministic", R},
      {"benchmark", R},
      {"inference_mode", R},
      {"profiler", R},
      {"detect_anomaly", R},
      {"barebones", R},
      {"plugins", R},
      {"sync_batchnorm", R},
      {"reload_dataloaders_every_n_epochs", R},
      {"default_root_dir", R},
      {"resume_from_checkpoint", R},
  };
  static const std::vector<KeyInfo> model = {
      // Used: architecture.
      {"num_layers", U},
      {"hidden_size", U},
      {"ffn_hidden_size", U},
      {"num_attention_heads", U},
      {"num_query_groups", U},
      {"kv_channels", U},
      {"seq_length", U},
      {"encoder_seq_length", U},
      {"max_position_embeddings", U},
      {"padded_vocab_size", U},
      {"make_vocab_size_divisible_by", U},
      {"tokenizer", U},
      {"normalization", U},
      {"activation", U},
      {"position_embedding_type", U},
      {"rotary_percentage", U},
      {"rotary_base", U},
      {"share_embeddings_and_output_weights", U},
      {"bias", U},
      {"hidden_dropout", U},
      {"attention_dropout", U},
      {"ffn_dropout", U},
      {"init_method_std", U},
      {"use_scaled_init_method", U},
      {"layernorm_epsilon", U},
      {"openai_gelu", U},
      {"normalize_attention_scores", U},
      {"do_layer_norm_weight_decay", U},
      // Used: parallelism, recomputation, batching, precision.
      {"tensor_model_parallel_size", U},
      {"pipeline_model_parallel_size", U},
      {"virtual_pipeline_model_parallel_size", U},
      {"sequence_parallel", U},
      {"activations_checkpoint_granularity", U},
      {"activations_checkpoint_method", U},
      {"activations_checkpoint_num_layers", U},
      {"micro_batch_size", U},
      {"global_batch_size", U},
      {"precision", U},
      {"megatron_amp_O2", U},
      {"native_amp_init_scale", U},
      {"native_amp_growth_interval", U},
      {"hysteresis", U},
      // Used: prompt learning and LoRA (docs/prompt-learning.md).
      {"virtual_prompt_style", U},
      {"language_model_path", U},
      {"existing_tasks", U},
      {"new_tasks", U},
      {"task_templates", U},
      {"p_tuning", U},
      {"prompt_tuning", U},
      {"peft", U},
      // Used: training hyperparameters, the defaults of strata-run train
      // (TrainingSection.cpp).
      {"optim", U},
      // Recorded: they change the model's math, so only one value is fine.
      {"transformer_block_type", R, "pre_ln"},
      {"headscale", R, "false"},
      {"attention_type", R, "multihead"},
      {"context_parallel_size", R, "1"},
      {"expert_model_parallel_size", R, "1"},
      {"num_moe_experts", R, "null"},
      {"seq_len_interpolation_factor", R, "null"},
      {"fp8", R, "false"},
      {"fsdp", R, "false"},
      // Recorded: performance and bookkeeping switches.
      {"mcore_gpt", R},
      {"rampup_batch_size", R},
      {"resume_from_checkpoint", R},
      // Megatron divides the scores by the layer number and multiplies them
      // back inside its f32 softmax: the same math (docs/model-description.md).
      {"apply_query_key_layer_scaling", R},
      {"pre_process", R},
      {"post_process", R},
      {"persist_layer_norm", R},
      {"overlap_p2p_comm", R},
      {"batch_p2p_comm", R},
      {"fp32_residual_connection", R},
      {"fp16_lm_cross_entropy", R},
      {"grad_allreduce_chunk_size_mb", R},
      {"grad_div_ar_fusion", R},
      {"gradient_accumulation_fusion", R},
      {"bias_activation_fusion", R},
      {"bias_dropout_add_fusion", R},
      {"masked_softmax_fusion", R},
      {"get_attention_mask_from_fusion", R},
      {"apply_rope_fusion", R},
      {"use_flash_attention", R},
      {"seed", R},
      {"use_cpu_initialization", R},
      {"onnx_safe", R},
      {"apex_transformer_log_level", R},
      {"gradient_as_bucket_view", R},
      {"sync_batch_comm", R},
      {"num_micro_batches_with_partial_activation_checkpoints", R},
      {"activations_checkpoint_layers_per_pipeline", R},
      {"transformer_engine", R},
      {"fp8_e4m3", R},
      {"fp8_hybrid", R},
      {"fp8_margin", R},
      {"fp8_interval", R},
      {"fp8_amax_history_len", R},
      {"fp8_amax_compute_algo", R},
      {"fp8_wgrad", R},
      {"reduce_amax", R},
      {"use_emha", R},
      {"ub_tp_comm_overlap", R},
      {"ub_tp_comm_overlap_cfg", R},
      {"tp_comm_atomic_ag", R},
      {"tp_comm_atomic_rs", R},
      {"sharp", R},
      {"deterministic_mode", R},
      {"cross_entropy_loss_fusion", R},
      {"gc_interval", R},
      {"data", R},
      {"nsys_profile", R},
      // Recorded: prompt learning's and PEFT's bookkeeping.
      {"nemo_path", R},
      {"restore_path", R},
      {"restore_from_path", R},
      {"save_nemo_on_validation_end", R},
      {"validation_global_batch_size", R},
      {"validation_micro_batch_size", R},
      {"validation_drop_last", R},
      {"report_validation_metric", R},
      {"validation_metric", R},
      {"answer_only_loss", R}, // fine-tuning's; prompt learning's is per task
      {"fsdp_sharding_strategy", R},
      {"fsdp_grad_reduce_dtype", R},
      {"fsdp_sharded_checkpoint", R},
      {"fsdp_use_orig_params", R},
  };
  static const std::vector<KeyInfo> tokenizer = {
      {"library", U},         {"type", U},
      {"vocab_file", U},      {"vocab_size", U},
      {"model", U},           {"merge_file", R},
      {"delimiter", R},       {"sentencepiece_legacy", R},
      {"special_tokens", R},  {"additional_special_tokens", R},
      {"use_fast", R},
  };
  static const std::vector<KeyInfo> taskTemplate = {
      {"taskname", U},         {"prompt_template", U},
      {"prompt_template_fields", U}, {"total_virtual_tokens", U},
      {"virtual_token_splits", U},   {"truncate_field", U},
      {"answer_only_loss", U}, {"answer_field", U},
  };
  static const std::vector<KeyInfo> pTuning = {
      {"encoder_type", U}, {"num_layers", U}, {"encoder_hidden", U},
      {"dropout", U},      {"init_std", R},
  };
  // Strata initializes prompt tables randomly; `text` initialization is
  // recorded with a warning (PromptLearningSection.cpp).
  static const std::vector<KeyInfo> promptTuning = {
      {"new_prompt_init_methods", R},
      {"new_prompt_init_text", R},
  };
  // The sections of the other schemes are recorded whole: NeMo's configs
  // carry all of them whichever scheme they use.
  static const std::vector<KeyInfo> peft = {
      {"peft_scheme", U},      {"lora_tuning", U},
      {"restore_from_path", R}, {"adapter_tuning", R},
      {"p_tuning", R},         {"ia3_tuning", R},
      {"selective_tuning", R},
  };
  static const std::vector<KeyInfo> loraTuning = {
      {"target_modules", U},
      {"adapter_dim", U},
      {"alpha", U},
      {"adapter_dropout", U},
      // Strata's LoRA: one adapter for the fused QKV (NeMo's variant), A
      // xavier-initialized, B zero, on every layer, untied.
      {"variant", R, "nemo", true},
      {"column_init_method", R, "xavier"},
      {"row_init_method", R, "zero"},
      {"layer_selection", R, "null", true},
      {"weight_tying", R, "false", true},
      {"position_embedding_strategy", R},
  };
  // model.optim: NeMo's optimizer settings (nemo/core/optim/optimizers.py
  // and the Apex/Megatron distributed optimizers' options, which change
  // how state is stored and communicated, not the math).
  static const std::vector<KeyInfo> optim = {
      {"name", U},
      {"lr", U},
      {"betas", U},
      {"eps", U},
      {"weight_decay", U},
      {"sched", U},
      {"bucket_cap_mb", R},
      {"overlap_grad_sync", R},
      {"overlap_param_sync", R},
      {"contiguous_grad_buffer", R},
      {"contiguous_param_buffer", R},
      {"grad_sync_dtype", R},
      {"param_sync_dtype", R},
      {"dtype", R},
      {"store_params", R},
      {"store_param_remainders", R},
      {"with_scaled_states", R},
      {"nccl_ub", R},
      {"distribute_within_nodes", R},
      {"lock_timeout", R},
      {"capturable", R},
      {"master_weights", R},
      {"align_grad_reduce", R},
      {"align_param_gather", R},
      {"overlap_param_gather_with_optimizer_step", R},
      {"ddp_bucket_size", R},
      {"check_for_nan_in_grad", R},
      {"foreach", R},
      {"fused", R},
      {"amsgrad", R, "false", true},
  };
  // model.optim.sched: nemo/core/optim/lr_scheduler.py.
  static const std::vector<KeyInfo> optimSched = {
      {"name", U},
      {"warmup_steps", U},
      {"warmup_ratio", U},
      {"constant_steps", U},
      {"constant_ratio", U},
      {"min_lr", U},
      {"max_steps", U},
      {"last_epoch", R, "-1", true},
      {"monitor", R},
      {"reduce_on_plateau", R, "false", true},
      {"interval", R},
      {"frequency", R},
      {"iters_per_batch", R},
      {"t_max_epochs", R},
      {"t_accumulate_grad_batches", R},
      {"t_limit_train_batches", R},
      {"t_num_workers", R},
  };
  switch (section) {
  case Section::Optim:
    return optim;
  case Section::OptimSched:
    return optimSched;
  case Section::TopLevel:
    return topLevel;
  case Section::Trainer:
    return trainer;
  case Section::Model:
    return model;
  case Section::Tokenizer:
    return tokenizer;
  case Section::TaskTemplate:
    return taskTemplate;
  case Section::PTuning:
    return pTuning;
  case Section::PromptTuning:
    return promptTuning;
  case Section::Peft:
    return peft;
  case Section::LoraTuning:
    return loraTuning;
  }
  return model;
}

struct SectionIndex {
  std::unordered_map<std::string_view, const KeyInfo *> byName;
  std::vector<std::string_view> names;
};

const SectionIndex &sectionIndex(Section section) {
  auto build = [](Section s) {
    SectionIndex index;
    for (const KeyInfo &info : table(s)) {
      index.byName.emplace(info.name, &info);
      index.names.push_back(info.name);
    }
    return index;
  };
  static const SectionIndex indexes[] = {
      build(Section::TopLevel),     build(Section::Trainer),
      build(Section::Model),        build(Section::Tokenizer),
      build(Section::TaskTemplate), build(Section::PTuning),
      build(Section::PromptTuning), build(Section::Peft),
      build(Section::LoraTuning),   build(Section::Optim),
      build(Section::OptimSched)};
  return indexes[static_cast<int>(section)];
}

} // namespace

const KeyInfo *findKey(Section section, std::string_view name) {
  const auto &byName = sectionIndex(section).byName;
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

const std::vector<std::string_view> &keyNames(Section section) {
  return sectionIndex(section).names;
}

const char *sectionName(Section section) {
  switch (section) {
  case Section::TopLevel:
    return "top level";
  case Section::Trainer:
    return "trainer";
  case Section::Model:
    return "model";
  case Section::Tokenizer:
    return "model.tokenizer";
  case Section::TaskTemplate:
    return "model.task_templates";
  case Section::PTuning:
    return "model.p_tuning";
  case Section::PromptTuning:
    return "model.prompt_tuning";
  case Section::Peft:
    return "model.peft";
  case Section::LoraTuning:
    return "model.peft.lora_tuning";
  case Section::Optim:
    return "model.optim";
  case Section::OptimSched:
    return "model.optim.sched";
  }
  return "model";
}

std::string unknownKeyMessage(Section section, std::string_view key) {
  std::string where = section == Section::TopLevel
                          ? std::string("at the top level")
                          : std::string("in ") + sectionName(section);
  std::string message = "unknown key '" + std::string(key) + "' " + where;
  // A known key in the wrong section is a likelier mistake than a typo.
  for (Section other :
       {Section::Model, Section::Trainer, Section::TopLevel, Section::Tokenizer,
        Section::TaskTemplate, Section::PTuning, Section::PromptTuning,
        Section::Peft, Section::LoraTuning, Section::Optim,
        Section::OptimSched}) {
    if (other == section || !findKey(other, key))
      continue;
    // `model` and `precision` exist at several levels; only hint at the
    // sections a user would move a key to.
    return message + "; '" + std::string(key) + "' belongs in " +
           (other == Section::TopLevel ? std::string("the top level")
                                       : std::string(sectionName(other)));
  }
  std::string suggestion = closestMatch(key, keyNames(section));
  if (!suggestion.empty())
    message += "; did you mean '" + suggestion + "'?";
  return message;
}

} // namespace strata::frontend
