/*
 * sshkey.h - SSH public keys as berth stores them (type, base64 blob,
 * SHA256 fingerprint), and the server's host key.  Parsing goes through
 * libssh's own key import, so a key berth accepts is one libssh can verify.
 */
#ifndef BERTH_SSHKEY_H
#define BERTH_SSHKEY_H

#include <libssh/libssh.h>
#include <stddef.h>

#include "core/store.h"

/* "SHA256:base64" of a public key. 0 or -1. */
int sshkey_fingerprint(const ssh_key key, char *out, size_t len, char *err,
    size_t errlen);

/* 1 when key is the key stored in k, else 0. */
int sshkey_matches(const ssh_key key, const struct key_rec *k);

/* Parse one authorized_keys-style line "TYPE BASE64 [COMMENT]" into k's
 * type, blob and fingerprint.  0 or -1 with a reason. */
int sshkey_parse_line(const char *line, struct key_rec *k, char *err,
    size_t errlen);

/* Make sure an ed25519 host key exists at path (created 0600).
 * Sets *created when it was generated now.  0 or -1. */
int sshkey_host_ensure(const char *path, int *created, char *err,
    size_t errlen);

#endif
