// SPDX-License-Identifier: Apache-2.0
// Validation of the "Security policies and keys" section: keys (ids, hex/file material, HKDF
// derivations), security policies (HMAC and cipher algorithms, key lists and key sizes), and the
// resolution of references to a security policy from other sections. A new rule about keys or
// security policies goes here. Key values never appear in messages: only the path, the key name
// and sizes.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "config/key_derivation.h"
#include "config/parse.h"
#include "config/validate.h"
#include "crypto/rekey.h"
#include "util/strings.h"

namespace ssr::config::internal {
namespace {

// Hex of the longest key (64 bytes) is 128 digits; the rest is room for whitespace.
constexpr std::uintmax_t kMaxKeyFileBytes = 4096;

// Automatic rekeying (SecurityPolicy.rekey_*, config.proto).
constexpr uint32_t kMinRekeyIntervalSeconds = 60;
constexpr uint32_t kMaxRekeyIntervalSeconds = 86400;
constexpr uint32_t kDefaultRekeyClockSkewSeconds = 10;
constexpr uint32_t kMaxRekeyClockSkewSeconds = 3600;

std::optional<std::vector<uint8_t>> DecodeHex(std::string_view text, const std::string& path,
                                              absl::string_view what, ErrorSink& errors) {
  if (text.empty()) {
    errors.Add(path, absl::StrCat(what, " is empty"));
    return std::nullopt;
  }
  const auto is_hex = [](char ch) { return absl::ascii_isxdigit(static_cast<unsigned char>(ch)); };
  if (!std::all_of(text.begin(), text.end(), is_hex)) {
    errors.Add(path, absl::StrCat(what,
                                  " is not valid hexadecimal (only the digits 0-9, a-f and A-F "
                                  "are allowed; the value is not shown)"));
    return std::nullopt;
  }
  if (text.size() % 2 != 0) {
    errors.Add(path, absl::StrCat(what, " has an odd number of hexadecimal digits (", text.size(),
                                  "; two digits per byte are expected)"));
    return std::nullopt;
  }
  std::string bytes = absl::HexStringToBytes(absl::string_view(text.data(), text.size()));
  std::vector<uint8_t> out(bytes.begin(), bytes.end());
  std::fill(bytes.begin(), bytes.end(), '\0');
  return out;
}

// Key files must be private (Key.file in proto/ssr/config/v1/config.proto): like ssh with a private key,
// the router refuses a key file that anyone but its owner (and the owner's group, read only) can
// access, or that belongs to someone other than root or the user running the router, since
// whoever can read or replace it can forge or read every packet of the policies using it. The
// check is on the file the path resolves to (symlinks followed). Returns false after adding the
// error. A file that does not exist passes here and fails when it is read (NotFound).
bool CheckKeyFileAccess(const std::filesystem::path& fs_path, const std::string& file,
                        const std::string& path, ErrorSink& errors) {
  struct stat st {};
  if (::stat(fs_path.c_str(), &st) != 0) return true;
  const unsigned mode = static_cast<unsigned>(st.st_mode) & 07777U;
  const std::string shown = absl::StrCat(Quote(file), " (mode 0", absl::Hex(mode, absl::kZeroPad3),
                                         ", owner uid ", st.st_uid, ")");
  if ((mode & (S_IRWXO | S_IWGRP | S_IXGRP)) != 0) {
    errors.Add(path,
               absl::StrCat(shown,
                            " may be read or changed by users other than its owner; a key file "
                            "must be readable by its owner only, or also by its group (fix: "
                            "chmod 600 on the file)"),
               absl::StatusCode::kPermissionDenied);
    return false;
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    errors.Add(path,
               absl::StrCat(shown, " belongs neither to root nor to the user loading the config (uid ",
                            me, "); a key file must belong to one of them"),
               absl::StatusCode::kPermissionDenied);
    return false;
  }
  return true;
}

void LoadKeyFile(const std::string& file, const std::string& path, const LoadOptions& options,
                 Key* key, ErrorSink& errors) {
  if (file.empty()) {
    errors.Add(path, "is empty (a file path is expected)");
    return;
  }
  std::filesystem::path fs_path(file);
  if (fs_path.is_relative() && !options.base_dir.empty()) {
    fs_path = std::filesystem::path(options.base_dir) / fs_path;
  }
  // A key file is small and regular: refuse devices, FIFOs and huge files, which would block
  // or exhaust memory while loading (e.g. file: "/dev/zero").
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(fs_path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
    errors.Add(path, absl::StrCat(Quote(file), " is not a regular file"),
               absl::StatusCode::kFailedPrecondition);
    return;
  }
  if (const std::uintmax_t size = std::filesystem::file_size(fs_path, ec);
      !ec && size > kMaxKeyFileBytes) {
    errors.Add(path, absl::StrCat(Quote(file), " is ", size, " bytes; a key file holds at most ",
                                  kMaxKeyFileBytes, " bytes of hexadecimal text"));
    return;
  }
  if (!CheckKeyFileAccess(fs_path, file, path, errors)) return;
  absl::StatusOr<std::string> text = ReadFileToString(fs_path.string());
  if (!text.ok()) {
    // The status names the resolved path, which may hold any byte: escape it to keep one line.
    errors.Add(
        path,
        absl::StrCat(Quote(file), " cannot be read: ", absl::CHexEscape(text.status().message())),
        text.status().code());
    return;
  }
  std::string_view trimmed = std::string_view(*text);
  while (!trimmed.empty() && absl::ascii_isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && absl::ascii_isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.remove_suffix(1);
  }
  auto bytes = DecodeHex(trimmed, path, absl::StrCat("the content of ", Quote(file)), errors);
  std::fill(text->begin(), text->end(), '\0');
  if (bytes) key->material = SecretBytes(std::move(*bytes));
}

// Resolves a list of key names; checks the size of each key that has material with `check`.
std::vector<size_t> ResolveKeys(const ProtoList<std::string>& names, const std::string& path,
                                absl::string_view what, const NameIndex& key_names,
                                const std::vector<Key>& keys,
                                const std::function<std::optional<std::string>(size_t)>& check,
                                ErrorSink& errors) {
  std::vector<size_t> out;
  for (int j = 0; j < names.size(); ++j) {
    const std::string key_path = Idx(path, static_cast<size_t>(j));
    std::optional<size_t> k = Lookup(key_names, names[j]);
    if (!k) {
      errors.Add(key_path, absl::StrCat(Quote(names[j]), " is not a defined key"));
      continue;
    }
    if (std::find(out.begin(), out.end(), *k) != out.end()) {
      errors.Add(key_path, absl::StrCat("key ", Quote(names[j]), " is listed twice in ", what),
                 absl::StatusCode::kAlreadyExists);
      continue;
    }
    if (!keys[*k].material.empty()) {
      if (std::optional<std::string> problem = check(*k)) errors.Add(key_path, *problem);
    }
    out.push_back(*k);
  }
  return out;
}

// rekey_* fields of policy `sp` (at `path`) into `out`.
void ValidateRekey(const v1::SecurityPolicy& sp, const std::string& path,
                   const NameIndex& key_names, const std::vector<Key>& keys, bool hmac_known,
                   SecurityPolicy& out, ErrorSink& errors) {
  const uint32_t interval = sp.rekey_interval_seconds();
  if (interval == 0) {
    if (!sp.rekey_master_key().empty()) {
      errors.Add(Field(path, "rekey_master_key"),
                 "is set but rekey_interval_seconds is 0 (rekeying is off)");
    }
    if (sp.rekey_max_clock_skew_seconds() != 0) {
      errors.Add(Field(path, "rekey_max_clock_skew_seconds"),
                 "is set but rekey_interval_seconds is 0 (rekeying is off)");
    }
    return;
  }
  bool ok = true;
  if (interval < kMinRekeyIntervalSeconds || interval > kMaxRekeyIntervalSeconds) {
    errors.Add(Field(path, "rekey_interval_seconds"),
               absl::StrCat(interval, " is out of range (0 for off, or ",
                            kMinRekeyIntervalSeconds, "-", kMaxRekeyIntervalSeconds, ")"));
    ok = false;
  }
  if (hmac_known && out.hmac == HmacAlgorithm::kSha1) {
    errors.Add(Field(path, "rekey_interval_seconds"),
               "rekeying needs a policy that can sign; hmac \"sha1\" is receive-only");
    ok = false;
  }
  const uint32_t skew = sp.rekey_max_clock_skew_seconds() == 0
                            ? kDefaultRekeyClockSkewSeconds
                            : sp.rekey_max_clock_skew_seconds();
  if (skew > kMaxRekeyClockSkewSeconds) {
    errors.Add(Field(path, "rekey_max_clock_skew_seconds"),
               absl::StrCat(skew, " is out of range (0 for ", kDefaultRekeyClockSkewSeconds,
                            ", or 1-", kMaxRekeyClockSkewSeconds, ")"));
    ok = false;
  } else if (uint64_t{skew} * 2 >= interval) {
    errors.Add(Field(path, "rekey_max_clock_skew_seconds"),
               absl::StrCat(skew, " must be less than half of rekey_interval_seconds (",
                            interval, ")"));
    ok = false;
  }
  std::optional<size_t> master;
  if (sp.rekey_master_key().empty()) {
    errors.Add(Field(path, "rekey_master_key"), "is required when rekey_interval_seconds is set");
    ok = false;
  } else if (master = Lookup(key_names, sp.rekey_master_key()); !master) {
    errors.Add(Field(path, "rekey_master_key"),
               absl::StrCat(Quote(sp.rekey_master_key()), " is not a defined key"));
    ok = false;
  } else if (keys[*master].derived) {
    errors.Add(Field(path, "rekey_master_key"),
               absl::StrCat("key ", Quote(sp.rekey_master_key()),
                            " is derived; a master key must be given as hex or file"));
    ok = false;
  } else if (!keys[*master].material.empty() && keys[*master].material.size() < 16) {
    errors.Add(Field(path, "rekey_master_key"),
               absl::StrCat("key ", Quote(sp.rekey_master_key()), " is ",
                            keys[*master].material.size(),
                            " bytes; a rekey master key must be at least 16 bytes"));
    ok = false;
  }
  if (!ok) return;
  out.rekey_interval = std::chrono::seconds(interval);
  out.rekey_max_clock_skew = std::chrono::seconds(skew);
  out.rekey_master_key = master;
}

}  // namespace

std::vector<Key> ValidateKeys(const ProtoList<v1::Key>& p_keys, const NameIndex& key_names,
                              const LoadOptions& options, ErrorSink& errors) {
  std::vector<Key> keys(static_cast<size_t>(p_keys.size()));
  absl::flat_hash_map<uint32_t, size_t> ids;
  // Pass 1: ids and literal material; derived keys wait until their masters are known.
  for (int i = 0; i < p_keys.size(); ++i) {
    const v1::Key& k = p_keys[i];
    const size_t idx = static_cast<size_t>(i);
    const std::string path = Idx("keys", idx);
    Key& key = keys[idx];
    key.name = k.name();
    key.id = k.id();
    if (k.id() == 0) {
      errors.Add(Field(path, "id"), "0 is not a valid key id (1-4294967295)");
    } else {
      auto [it, inserted] = ids.emplace(k.id(), idx);
      if (!inserted) {
        errors.Add(Field(path, "id"),
                   absl::StrCat(k.id(), " is already used by key ",
                                Quote(p_keys[static_cast<int>(it->second)].name()), " (",
                                Idx("keys", it->second), ")"),
                   absl::StatusCode::kAlreadyExists);
      }
    }
    switch (k.source_case()) {
      case v1::Key::kHex: {
        auto bytes = DecodeHex(k.hex(), Field(path, "hex"), "the key", errors);
        if (bytes) key.material = SecretBytes(std::move(*bytes));
        break;
      }
      case v1::Key::kFile:
        LoadKeyFile(k.file(), Field(path, "file"), options, &key, errors);
        break;
      case v1::Key::kDerive:
        key.derived = true;
        break;
      case v1::Key::SOURCE_NOT_SET:
        errors.Add(path, "one of hex, file or derive is required");
        break;
    }
  }
  // Pass 2: derivations.
  for (int i = 0; i < p_keys.size(); ++i) {
    const v1::Key& k = p_keys[i];
    if (k.source_case() != v1::Key::kDerive) continue;
    const std::string path = Field(Idx("keys", static_cast<size_t>(i)), "derive");
    const v1::Key::Derivation& d = k.derive();
    bool ok = true;
    const uint32_t length = d.length() == 0 ? 32 : d.length();
    if (length < 16 || length > 64) {
      errors.Add(Field(path, "length"), absl::StrCat(d.length(), " is out of range (16-64)"));
      ok = false;
    }
    if (d.context().empty()) {
      errors.Add(Field(path, "context"),
                 "is required (keys derived for different purposes must differ)");
      ok = false;
    }
    std::optional<size_t> master = Lookup(key_names, d.master_key());
    if (!master) {
      errors.Add(Field(path, "master_key"),
                 absl::StrCat(Quote(d.master_key()), " is not a defined key"));
      ok = false;
    } else if (p_keys[static_cast<int>(*master)].source_case() == v1::Key::kDerive) {
      errors.Add(Field(path, "master_key"),
                 absl::StrCat("key ", Quote(d.master_key()),
                              " is itself derived; a master key must be given as hex or file"));
      ok = false;
    } else if (*master == static_cast<size_t>(i)) {
      ok = false;  // unreachable: a key deriving from itself is "itself derived" above
    }
    if (!ok || keys[*master].material.empty()) continue;
    const std::string_view salt(kKeyDerivationSalt);
    auto derived = HkdfSha256(
        keys[*master].material.bytes(),
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(salt.data()), salt.size()),
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(d.context().data()),
                                 d.context().size()),
        length);
    if (!derived.ok()) {
      errors.Add(path, std::string(derived.status().message()), absl::StatusCode::kInternal);
      continue;
    }
    keys[static_cast<size_t>(i)].material = SecretBytes(std::move(*derived));
  }
  return keys;
}

std::vector<SecurityPolicy> ValidateSecurityPolicies(const ProtoList<v1::SecurityPolicy>& policies,
                                                     const NameIndex& key_names,
                                                     const std::vector<Key>& keys,
                                                     ErrorSink& errors) {
  std::vector<SecurityPolicy> result(static_cast<size_t>(policies.size()));
  for (int i = 0; i < policies.size(); ++i) {
    const v1::SecurityPolicy& sp = policies[i];
    const std::string path = Idx("security_policies", static_cast<size_t>(i));
    SecurityPolicy& out = result[static_cast<size_t>(i)];
    out.name = sp.name();

    static constexpr std::pair<std::string_view, HmacAlgorithm> kHmacs[] = {
        {"", HmacAlgorithm::kSha256_128},
        {"none", HmacAlgorithm::kNone},
        {"sha1", HmacAlgorithm::kSha1},
        {"sha256", HmacAlgorithm::kSha256},
        {"sha256-128", HmacAlgorithm::kSha256_128}};
    bool hmac_known = false;
    for (const auto& [name, algo] : kHmacs) {
      if (sp.hmac() == name) {
        out.hmac = algo;
        hmac_known = true;
      }
    }
    if (!hmac_known) {
      errors.Add(Field(path, "hmac"),
                 absl::StrCat(Quote(sp.hmac()),
                              " is not a known HMAC algorithm (known: none, sha1, sha256, "
                              "sha256-128)"));
    }

    switch (sp.hmac_mode()) {
      case v1::SecurityPolicy::HMAC_MODE_UNSPECIFIED:
      case v1::SecurityPolicy::TIME_BASED:
        out.hmac_mode = HmacMode::kTimeBased;
        break;
      case v1::SecurityPolicy::REGULAR:
        out.hmac_mode = HmacMode::kRegular;
        break;
      default:
        errors.Add(Field(path, "hmac_mode"),
                   absl::StrCat(static_cast<int>(sp.hmac_mode()),
                                " is not a valid HMAC mode (REGULAR or TIME_BASED)"));
    }

    static constexpr std::pair<std::string_view, Cipher> kCiphers[] = {
        {"", Cipher::kAes256Cbc},
        {"none", Cipher::kNone},
        {"aes-128-cbc", Cipher::kAes128Cbc},
        {"aes-256-cbc", Cipher::kAes256Cbc},
        {"aes-128-gcm", Cipher::kAes128Gcm},
        {"aes-256-gcm", Cipher::kAes256Gcm}};
    bool cipher_known = false;
    for (const auto& [name, cipher] : kCiphers) {
      if (sp.encryption_cipher() == name) {
        out.cipher = cipher;
        cipher_known = true;
      }
    }
    if (!cipher_known) {
      errors.Add(Field(path, "encryption_cipher"),
                 absl::StrCat(Quote(sp.encryption_cipher()),
                              " is not a known cipher (known: none, aes-128-cbc, aes-256-cbc, "
                              "aes-128-gcm, aes-256-gcm)"));
    }
    out.adaptive_encryption = sp.adaptive_encryption();

    if (hmac_known) {
      if (out.hmac == HmacAlgorithm::kNone && sp.hmac_keys_size() > 0) {
        errors.Add(Field(path, "hmac_keys"), "must be empty when hmac is \"none\"");
      } else if (out.hmac != HmacAlgorithm::kNone && sp.hmac_keys_size() == 0) {
        errors.Add(Field(path, "hmac_keys"), absl::StrCat("at least one key is required for hmac ",
                                                          Quote(HmacAlgorithmName(out.hmac))));
      }
    }
    // Keys listed for "none" were reported above; resolving them would only add noise.
    if (out.hmac != HmacAlgorithm::kNone) {
      out.hmac_keys = ResolveKeys(
          sp.hmac_keys(), Field(path, "hmac_keys"), "hmac_keys", key_names, keys,
          [&keys](size_t k) -> std::optional<std::string> {
            const size_t n = keys[k].material.size();
            if (n >= 16) return std::nullopt;
            return absl::StrCat("key ", Quote(keys[k].name), " is ", n,
                                " bytes; HMAC keys must be at least 16 bytes");
          },
          errors);
    }

    if (cipher_known) {
      if (out.cipher == Cipher::kNone && sp.encryption_keys_size() > 0) {
        errors.Add(Field(path, "encryption_keys"),
                   "must be empty when encryption_cipher is \"none\"");
      } else if (out.cipher != Cipher::kNone && sp.encryption_keys_size() == 0) {
        errors.Add(Field(path, "encryption_keys"),
                   absl::StrCat("at least one key is required for cipher ",
                                Quote(CipherName(out.cipher))));
      }
    }
    const Cipher cipher = out.cipher;
    if (cipher != Cipher::kNone) {
      out.encryption_keys = ResolveKeys(
          sp.encryption_keys(), Field(path, "encryption_keys"), "encryption_keys", key_names, keys,
          [&keys, cipher, cipher_known](size_t k) -> std::optional<std::string> {
            const size_t n = keys[k].material.size();
            if (!cipher_known || n == CipherKeySize(cipher)) return std::nullopt;
            return absl::StrCat("key ", Quote(keys[k].name), " is ", n, " bytes; ",
                                util::ToAbsl(CipherName(cipher)), " needs ", CipherKeySize(cipher),
                                " bytes");
          },
          errors);
    }

    if (sp.key_rotation_overlap_seconds() > 86400) {
      errors.Add(Field(path, "key_rotation_overlap_seconds"),
                 absl::StrCat(sp.key_rotation_overlap_seconds(), " is out of range (0-86400)"));
    } else if (sp.key_rotation_overlap_seconds() != 0) {
      out.key_rotation_overlap = std::chrono::seconds(sp.key_rotation_overlap_seconds());
    }

    // The replay filter remembers authentication tags: a policy that puts none on a packet (no
    // HMAC, no GCM) has nothing to remember, and anyone could forge a fresh packet anyway.
    out.replay_filter = sp.replay_filter();
    if (sp.replay_filter() && hmac_known && cipher_known && out.hmac == HmacAlgorithm::kNone &&
        out.cipher != Cipher::kAes128Gcm && out.cipher != Cipher::kAes256Gcm) {
      errors.Add(Field(path, "replay_filter"),
                 absl::StrCat("needs an authentication tag: hmac is \"none\" and "
                              "encryption_cipher ",
                              Quote(CipherName(out.cipher)), " is not AES-GCM"));
    }

    ValidateRekey(sp, path, key_names, keys, hmac_known, out, errors);
  }
  // Epoch key ids (crypto/rekey.h) take the upper half of the id space when any policy rekeys.
  if (std::any_of(result.begin(), result.end(),
                  [](const SecurityPolicy& p) { return p.rekeys(); })) {
    for (size_t k = 0; k < keys.size(); ++k) {
      if (keys[k].id > crypto::kMaxConfiguredKeyIdWithRekey) {
        errors.Add(Field(Idx("keys", k), "id"),
                   absl::StrCat(keys[k].id,
                                " is in the range 2147483648-4294967295 that the epoch keys of "
                                "automatic rekeying use (a security policy sets "
                                "rekey_interval_seconds); use 1-2147483647"));
      }
    }
  }
  return result;
}

std::optional<size_t> ResolveSecurityPolicy(const std::string& name, const std::string& path,
                                            const NameIndex& policy_names, ErrorSink& errors) {
  std::optional<size_t> sp = Lookup(policy_names, name);
  if (!sp) errors.Add(path, absl::StrCat(Quote(name), " is not a defined security policy"));
  return sp;
}

}  // namespace ssr::config::internal
