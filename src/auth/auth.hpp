// Authentication primitives: password policy and argon2id hashing, TOTP (RFC 6238), random tokens
// stored as hashes, recovery codes, and a secret box for secrets kept at rest (TOTP keys).
// libsodium provides argon2id, randomness, SHA-256, constant-time comparison and the secret box;
// liboath provides TOTP. Everything here is thread-safe once Init() has run.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::auth {

// Initialises libsodium and liboath; call once before anything else (idempotent).
Result<void> Init();

// --- passwords ------------------------------------------------------------------------------------

// A set of common and breached passwords, compared case-insensitively.
class CommonPasswords {
public:
    // Reads one password a line (data/common-passwords.txt ships 30,000 from zxcvbn).
    static Result<CommonPasswords> Load(const std::string& path);
    static CommonPasswords FromList(const std::vector<std::string>& passwords);
    bool Contains(std::string_view password) const;
    size_t size() const { return set_.size(); }

private:
    std::unordered_set<std::string> set_;
};

struct PasswordPolicy {
    size_t min_chars = 12;   // Unicode code points
    size_t max_chars = 128;
};

// Checks a new password: length in characters (no composition rules), not a common or breached
// password, and not containing the e-mail's local part or the tenant's name (case-insensitive, when
// those are 3 characters or more). The error message says which rule, never echoing the password.
Result<void> CheckNewPassword(std::string_view password, std::string_view email, std::string_view tenant_name,
                              const CommonPasswords& common, const PasswordPolicy& policy = {});

// argon2id cost. The defaults are libsodium's "moderate"-like interactive profile sized for a server:
// 3 passes over 64 MiB.
struct HashCost {
    uint64_t ops = 3;
    size_t mem_bytes = 64u << 20;
};

// An encoded argon2id hash ($argon2id$v=19$m=...,t=...,p=1$salt$hash) with a fresh random salt.
Result<std::string> HashPassword(std::string_view password, const HashCost& cost = {});
// True when `password` matches `encoded`. Constant time in the password.
bool VerifyPassword(std::string_view encoded, std::string_view password);
// True when `encoded` was made with a cost other than `cost` (rehash at the next sign-in).
bool NeedsRehash(std::string_view encoded, const HashCost& cost = {});

// --- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) --------------------------------------

// A new random 20-byte TOTP key.
std::vector<uint8_t> NewTotpKey();
// RFC 4648 base32 without padding, as authenticator apps take it.
std::string Base32(const std::vector<uint8_t>& key);
// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view issuer, std::string_view account, const std::vector<uint8_t>& key);
// The 6-digit code of the step containing `t`.
std::string TotpCode(const std::vector<uint8_t>& key, core::TimePoint t);
// Checks `code` against the steps around `now` (one step of tolerance each way). Returns the matched
// step number, or nullopt. A step at or before `last_used_step` is refused, so each code works once.
std::optional<int64_t> VerifyTotp(const std::vector<uint8_t>& key, std::string_view code, core::TimePoint now,
                                  int64_t last_used_step);

// --- tokens -----------------------------------------------------------------------------------------

// `bytes` random bytes as unpadded base64url (session tokens, API tokens, reset tokens).
std::string RandomToken(size_t bytes = 32);
// Lower-case hex SHA-256 of a token: what the database stores instead of the token.
std::string HashToken(std::string_view token);
// Constant-time equality of two strings of the same length (false when lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// Ten single-use recovery codes, "xxxxx-xxxxx" from an unambiguous alphabet.
std::vector<std::string> NewRecoveryCodes(size_t count = 10);

// --- secrets at rest ---------------------------------------------------------------------------------

// Authenticated encryption (XSalsa20-Poly1305) with a 32-byte key kept in a file of its own (mode 0600).
class SecretBox {
public:
    // Reads the key file, creating it with a new random key when it does not exist.
    static Result<SecretBox> LoadOrCreate(const std::string& key_path);
    static SecretBox FromKey(const std::vector<uint8_t>& key);
    // nonce || ciphertext, base64url.
    std::string Seal(std::string_view plaintext) const;
    // Error when the box was not made with this key or was altered.
    Result<std::string> Open(std::string_view sealed) const;

private:
    std::vector<uint8_t> key_;
};

}  // namespace fleet::auth
