// `audit verify`, `audit checkpoint` and `audit export`: the auditor's view of the hash-chained
// log, its published checkpoints (audit/checkpoint.h) and the store it accounts for.
#include <filesystem>
#include <iostream>
#include <memory>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "audit/cross_check.h"
#include "signer/audit_checkpoint.h"
#include "signer/checkpoint_source.h"
#include "signer/commands.h"
#include "store/store.h"
#include "x509/bytes.h"

namespace pkirepo::signer {
namespace {

struct VerifyOptions {
  std::vector<std::string> checkpoints;  // files or URLs
  std::string checkpoint_key;            // PEM public key; empty: the store's
};

// "" when every checkpoint at `source` is signed by `key` (when signed) and extended by the
// log in `txn`; else the one-line reason, naming the line for a jsonl.
std::string checkpoint_problem(const store::Txn& txn, const std::string& source, EVP_PKEY* key,
                               const std::string& key_origin, size_t& checked) {
  std::vector<PublishedCheckpoint> published;
  try {
    published = parse_checkpoints(read_checkpoint_source(source));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  for (const PublishedCheckpoint& p : published) {
    const std::string where = p.line == 0 ? "" : "line " + std::to_string(p.line) + ": ";
    if (p.checkpoint.is_signed()) {
      if (key == nullptr) {
        return where +
               "signed, but there is no checkpoint public key to check it (the store has "
               "none; give --checkpoint-key PEM)";
      }
      if (std::string why = audit::signature_problem(p.checkpoint, key); !why.empty()) {
        return where + why + " (key from " + key_origin + ")";
      }
    }
    if (std::string why = audit::prefix_problem(txn, p.checkpoint.count, p.checkpoint.head_hex);
        !why.empty()) {
      return where + "today's log does not extend it: " + why;
    }
    ++checked;
  }
  return "";
}

int run_verify(CommandRunner& runner, const VerifyOptions& opt) {
  Config cfg = load_config(runner.globals.config_path);
  EvpPkeyPtr given_key;
  if (!opt.checkpoint_key.empty()) {
    try {
      given_key = audit::public_key_from_pem(read_text_file(opt.checkpoint_key));
    } catch (const std::exception& e) {
      throw std::runtime_error("--checkpoint-key " + opt.checkpoint_key + ": " + e.what());
    }
  }
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  const std::string prefix = "pkirepo-signer: audit verify: ";
  audit::VerifyResult r = audit::verify(txn);
  if (!r.ok) {
    std::cerr << prefix << cfg.repository.store.string() << ": broken at record " << r.first_bad
              << ": " << r.reason << "\n";
    return 1;
  }
  EvpPkeyPtr stored_key = given_key ? nullptr : audit::stored_checkpoint_key(txn);
  EVP_PKEY* key = given_key ? given_key.get() : stored_key.get();
  const std::string key_origin =
      given_key ? opt.checkpoint_key : "the store (compare its id with the published one)";
  size_t checked = 0;
  for (const std::string& source : opt.checkpoints) {
    if (std::string why = checkpoint_problem(txn, source, key, key_origin, checked); !why.empty()) {
      std::cerr << prefix << "checkpoint " << source << ": " << why << "\n";
      return 1;
    }
  }
  const audit::CrossCheckResult x = audit::cross_check(txn);
  if (!x.ok) {
    std::cerr << prefix << cfg.repository.store.string()
              << ": the store does not match its audit log: " << x.reason << "\n";
    return 1;
  }
  std::cout << "audit log intact: " << r.records << " records, head " << r.head_hex << "; "
            << x.certificates << " certificates and " << x.revoked << " revocations match the log";
  if (!opt.checkpoints.empty()) {
    std::cout << "; " << checked << " published checkpoint(s) extended";
  }
  std::cout << "\n";
  return 0;
}

int run_checkpoint(CommandRunner& runner, bool create_key) {
  Session session(runner.globals, runner.now);
  const auto& store_dir = session.config().repository.store;
  if (!std::filesystem::exists(store_dir / "data.mdb")) {
    throw std::runtime_error(store_dir.string() +
                             ": no store here (run pkirepo-signer init first)");
  }
  KeyFileGuard guard;
  EvpPkeyPtr key;
  if (create_key) {
    {
      store::ReadTxn txn = session.store().begin_read();
      if (EvpPkeyPtr stored = audit::stored_checkpoint_key(txn)) {
        throw std::runtime_error(
            "audit checkpoint --create-key: the store already has checkpoint key " +
            audit::checkpoint_key_id(stored.get()) + "; nothing changed");
      }
    }
    key = create_checkpoint_key_file(session, guard);
  } else {
    CheckpointSigner signer = load_checkpoint_signer(session);
    if (!signer.key) {
      throw std::runtime_error("audit checkpoint: " + signer.problem);
    }
    key = std::move(signer.key);
  }
  std::optional<audit::SignedCheckpoint> made;
  std::optional<audit::SignedCheckpoint> current;
  session.store().transact([&](store::WriteTxn& txn) {
    if (create_key) {
      record_checkpoint_key(session, txn, key.get());
    }
    made = refresh_checkpoint(txn, key.get(), session.now());
    current = made ? made : audit::stored_checkpoint(txn);
  });
  guard.keep();
  if (create_key) {
    std::cout << "created audit checkpoint key "
              << session.config().repository.checkpoint_key.string() << " (key id "
              << audit::checkpoint_key_id(key.get()) << ")\n";
  }
  std::cout << (made ? "signed " : "unchanged ") << current->to_json() << "\n";
  return 0;
}

int run_export(CommandRunner& runner, const std::string& format) {
  if (format != "jsonl") {
    throw std::runtime_error("--format " + format + ": only jsonl is supported");
  }
  Config cfg = load_config(runner.globals.config_path);
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  audit::export_jsonl(txn, std::cout);
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, CommandRunner& runner) {
  CLI::App* audit = app.add_subcommand("audit", "Audit log (CPS 5.4)");
  audit->require_subcommand(1);
  auto vopt = std::make_shared<VerifyOptions>();
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Walk the hash chain, match certificates and revocations against it, check published "
      "checkpoints; exit 1 at the first problem");
  verify->add_option("--checkpoint", vopt->checkpoints,
                     "audit-log-checkpoint.json or audit-log-checkpoints.jsonl, a file or an "
                     "http(s) URL; repeatable");
  verify->add_option("--checkpoint-key", vopt->checkpoint_key,
                     "PEM public key that signed the checkpoints (default: the store's)");
  verify->callback([&runner, vopt] { runner.exit_code = run_verify(runner, *vopt); });
  auto create_key = std::make_shared<bool>(false);
  CLI::App* cp = audit->add_subcommand(
      "checkpoint", "Sign the log's current checkpoint with the checkpoint key and store it");
  cp->add_flag("--create-key", *create_key,
               "First create the checkpoint key (repository.checkpoint_key) for a store that has "
               "none");
  cp->callback([&runner, create_key] { runner.exit_code = run_checkpoint(runner, *create_key); });
  auto format = std::make_shared<std::string>("jsonl");
  CLI::App* exp = audit->add_subcommand("export", "Print every audit record");
  exp->add_option("--format", *format, "jsonl");
  exp->callback([&runner, format] { runner.exit_code = run_export(runner, *format); });
}

}  // namespace pkirepo::signer
