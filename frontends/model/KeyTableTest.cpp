//===- KeyTableTest.cpp - Known keys and unknown-key messages ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/KeyTable.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace strata::frontend {
namespace {

const Section kAllSections[] = {
    Section::TopLevel,     Section::Trainer, Section::Model,
    Section::Tokenizer,    Section::TaskTemplate, Section::PTuning,
    Section::PromptTuning, Section::Peft,    Section::LoraTuning};

TEST(KeyTableTest, ClassifiesKeys) {
  ASSERT_TRUE(findKey(Section::Model, "hidden_size"));
  EXPECT_EQ(findKey(Section::Model, "hidden_size")->use, KeyUse::Used);
  ASSERT_TRUE(findKey(Section::Model, "apply_query_key_layer_scaling"));
  EXPECT_EQ(findKey(Section::Model, "apply_query_key_layer_scaling")->use,
            KeyUse::Recorded);
  EXPECT_EQ(findKey(Section::Model, "headscale")->implemented, "false");
  EXPECT_EQ(findKey(Section::Trainer, "devices")->use, KeyUse::Used);
  EXPECT_EQ(findKey(Section::Trainer, "max_steps")->use, KeyUse::Used);
  EXPECT_EQ(findKey(Section::Trainer, "max_epochs")->use, KeyUse::Recorded);
  EXPECT_EQ(findKey(Section::OptimSched, "warmup_steps")->use, KeyUse::Used);
  EXPECT_EQ(findKey(Section::TopLevel, "exp_manager")->use, KeyUse::Recorded);
  EXPECT_EQ(findKey(Section::Tokenizer, "vocab_size")->use, KeyUse::Used);
  EXPECT_EQ(findKey(Section::Model, "devices"), nullptr);
  EXPECT_EQ(findKey(Section::Model, "Hidden_Size"), nullptr);
}

TEST(KeyTableTest, KnowsNeMoGptConfigKeys) {
  // The model keys of NeMo's megatron_gpt_config.yaml and
  // megatron_llama_config.yaml.
  for (std::string_view key :
       {"mcore_gpt", "micro_batch_size", "global_batch_size",
        "rampup_batch_size", "tensor_model_parallel_size",
        "pipeline_model_parallel_size", "virtual_pipeline_model_parallel_size",
        "encoder_seq_length", "max_position_embeddings", "num_layers",
        "hidden_size", "ffn_hidden_size", "num_attention_heads",
        "init_method_std", "use_scaled_init_method", "hidden_dropout",
        "attention_dropout", "ffn_dropout", "kv_channels",
        "apply_query_key_layer_scaling", "normalization", "layernorm_epsilon",
        "do_layer_norm_weight_decay", "make_vocab_size_divisible_by",
        "pre_process", "post_process", "persist_layer_norm", "bias",
        "activation", "headscale", "transformer_block_type", "openai_gelu",
        "normalize_attention_scores", "position_embedding_type",
        "rotary_percentage", "attention_type",
        "share_embeddings_and_output_weights", "overlap_p2p_comm",
        "batch_p2p_comm", "num_query_groups", "tokenizer",
        "native_amp_init_scale", "native_amp_growth_interval", "hysteresis",
        "fp32_residual_connection", "fp16_lm_cross_entropy", "megatron_amp_O2",
        "grad_allreduce_chunk_size_mb", "grad_div_ar_fusion",
        "gradient_accumulation_fusion", "bias_activation_fusion",
        "bias_dropout_add_fusion", "masked_softmax_fusion",
        "get_attention_mask_from_fusion", "seed", "resume_from_checkpoint",
        "use_cpu_initialization", "onnx_safe", "apex_transformer_log_level",
        "gradient_as_bucket_view", "sync_batch_comm",
        "activations_checkpoint_granularity", "activations_checkpoint_method",
        "activations_checkpoint_num_layers",
        "num_micro_batches_with_partial_activation_checkpoints",
        "activations_checkpoint_layers_per_pipeline", "sequence_parallel",
        "transformer_engine", "fp8", "fp8_e4m3", "fp8_hybrid", "fp8_margin",
        "fp8_interval", "fp8_amax_history_len", "fp8_amax_compute_algo",
        "reduce_amax", "use_emha", "ub_tp_comm_overlap",
        "ub_tp_comm_overlap_cfg", "data", "nsys_profile", "optim",
        "gc_interval"})
    EXPECT_TRUE(findKey(Section::Model, key)) << key;
  for (std::string_view key :
       {"devices", "num_nodes", "accelerator", "precision", "logger",
        "enable_checkpointing", "use_distributed_sampler", "replace_sampler_ddp",
        "max_epochs", "max_steps", "log_every_n_steps", "val_check_interval",
        "limit_val_batches", "limit_test_batches", "accumulate_grad_batches",
        "gradient_clip_val", "benchmark", "enable_model_summary"})
    EXPECT_TRUE(findKey(Section::Trainer, key)) << key;
  for (std::string_view key : {"library", "type", "model", "vocab_file",
                               "merge_file", "delimiter", "sentencepiece_legacy"})
    EXPECT_TRUE(findKey(Section::Tokenizer, key)) << key;
}

TEST(KeyTableTest, KnowsNeMoPromptLearningAndPeftKeys) {
  // megatron_gpt_prompt_learning_config.yaml and
  // tuning/conf/megatron_gpt_finetuning_config.yaml.
  for (std::string_view key :
       {"nemo_path", "virtual_prompt_style", "validation_global_batch_size",
        "validation_micro_batch_size", "validation_drop_last",
        "report_validation_metric", "validation_metric", "restore_path",
        "language_model_path", "save_nemo_on_validation_end", "existing_tasks",
        "new_tasks", "task_templates", "prompt_tuning", "p_tuning", "peft",
        "restore_from_path", "answer_only_loss", "fsdp",
        "fsdp_sharding_strategy", "fsdp_grad_reduce_dtype",
        "fsdp_sharded_checkpoint", "fsdp_use_orig_params"})
    EXPECT_TRUE(findKey(Section::Model, key)) << key;
  for (std::string_view key :
       {"taskname", "prompt_template", "prompt_template_fields",
        "total_virtual_tokens", "virtual_token_splits", "truncate_field",
        "answer_only_loss", "answer_field"})
    EXPECT_TRUE(findKey(Section::TaskTemplate, key)) << key;
  for (std::string_view key :
       {"encoder_type", "dropout", "num_layers", "encoder_hidden", "init_std"})
    EXPECT_TRUE(findKey(Section::PTuning, key)) << key;
  for (std::string_view key :
       {"peft_scheme", "restore_from_path", "adapter_tuning", "lora_tuning",
        "p_tuning", "ia3_tuning", "selective_tuning"})
    EXPECT_TRUE(findKey(Section::Peft, key)) << key;
  for (std::string_view key :
       {"variant", "target_modules", "adapter_dim", "alpha", "adapter_dropout",
        "column_init_method", "row_init_method", "layer_selection",
        "weight_tying", "position_embedding_strategy"})
    EXPECT_TRUE(findKey(Section::LoraTuning, key)) << key;
  EXPECT_TRUE(findKey(Section::Trainer, "resume_from_checkpoint"));
}

TEST(KeyTableTest, StrictKeysChangeWhatIsTrained) {
  for (std::string_view key : {"layer_selection", "weight_tying", "variant"})
    EXPECT_TRUE(findKey(Section::LoraTuning, key)->strict) << key;
  EXPECT_FALSE(findKey(Section::LoraTuning, "column_init_method")->strict);
  EXPECT_FALSE(findKey(Section::Model, "headscale")->strict);
}

TEST(KeyTableTest, NamesAreUniquePerSection) {
  for (Section section : kAllSections) {
    std::set<std::string_view> seen;
    for (std::string_view name : keyNames(section))
      EXPECT_TRUE(seen.insert(name).second) << name;
  }
}

TEST(KeyTableTest, UnknownKeyMessages) {
  EXPECT_EQ(unknownKeyMessage(Section::Model, "hiden_size"),
            "unknown key 'hiden_size' in model; did you mean 'hidden_size'?");
  EXPECT_EQ(unknownKeyMessage(Section::Model, "whatever_this_is"),
            "unknown key 'whatever_this_is' in model");
  EXPECT_EQ(unknownKeyMessage(Section::TopLevel, "modle"),
            "unknown key 'modle' at the top level; did you mean 'model'?");
  EXPECT_EQ(unknownKeyMessage(Section::Trainer, "num_node"),
            "unknown key 'num_node' in trainer; did you mean 'num_nodes'?");
  EXPECT_EQ(unknownKeyMessage(Section::Tokenizer, "vocab_siz"),
            "unknown key 'vocab_siz' in model.tokenizer; did you mean "
            "'vocab_size'?");
}

TEST(KeyTableTest, KeysInTheWrongSection) {
  EXPECT_EQ(unknownKeyMessage(Section::Model, "devices"),
            "unknown key 'devices' in model; 'devices' belongs in trainer");
  EXPECT_EQ(unknownKeyMessage(Section::TopLevel, "hidden_size"),
            "unknown key 'hidden_size' at the top level; 'hidden_size' "
            "belongs in model");
  EXPECT_EQ(unknownKeyMessage(Section::Model, "vocab_file"),
            "unknown key 'vocab_file' in model; 'vocab_file' belongs in "
            "model.tokenizer");
  EXPECT_EQ(unknownKeyMessage(Section::Model, "peft_scheme"),
            "unknown key 'peft_scheme' in model; 'peft_scheme' belongs in "
            "model.peft");
  EXPECT_EQ(unknownKeyMessage(Section::LoraTuning, "adapter_dimm"),
            "unknown key 'adapter_dimm' in model.peft.lora_tuning; did you "
            "mean 'adapter_dim'?");
}

TEST(KeyTableTest, UserDocsListEveryKey) {
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/docs/model-description.md");
  ASSERT_TRUE(in) << "docs/model-description.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string docs = text.str();
  for (Section section : kAllSections)
    for (std::string_view name : keyNames(section))
      EXPECT_NE(docs.find("`" + std::string(name) + "`"), std::string::npos)
          << sectionName(section) << " key '" << name
          << "' is not documented in docs/model-description.md";
}

} // namespace
} // namespace strata::frontend
