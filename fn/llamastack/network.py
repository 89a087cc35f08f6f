"""How the server reaches its providers: spec.network, the providers' network and
spec.trustedCA, as settings.json's "network" says (the function decided everything per
line; this only carries it out at start).

- Each provider's config gets its keys: the network block (timeout, proxy, tls, headers) of
  LS v0.7.1 and OGX (RemoteInferenceProviderConfig.network, applied by
  providers/utils/inference/http_client.py), or LS 0.3.x vllm's tls_verify.
- The pod-wide CA bundles are joined with the public roots into one file, which the pod's
  SSL_CERT_FILE and REQUESTS_CA_BUNDLE name: each takes a single file, and it replaces the
  default roots instead of adding to them.
"""

import os
import pathlib
import sys

PREFIX = "llamastack-integration start-up: "

# Where the images keep the public roots: Debian's (the starters) and UBI's (the ODH images).
# KServe v0.16 mounts its certificate over /etc/ssl/certs, hence certifi's bundle too.
SYSTEM_ROOTS = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def public_roots():
    """The public roots the server's clients would use without SSL_CERT_FILE: the system's
    bundle (ssl.create_default_context) and certifi's (httpx's default)."""
    found = [pathlib.Path(p) for p in SYSTEM_ROOTS if os.path.isfile(p)]
    try:
        import certifi
        found.append(pathlib.Path(certifi.where()))
    except ImportError:
        pass
    return found


def join_bundle(network):
    """Writes the public roots and every pod-wide CA bundle into one file."""
    target = network.get("caBundle")
    if not target:
        return
    parts = []
    for path in public_roots():
        parts.append(path.read_text())
    for ca in network.get("caFiles") or []:
        path = pathlib.Path(ca["path"])
        if not path.is_file():
            if ca.get("optional"):
                sys.stderr.write(PREFIX + "%s has no bundle yet (%s is missing): OpenShift injects it into the "
                                 "labelled ConfigMap; until then only the public roots are trusted\n" % (ca["from"], path))
                continue
            sys.exit(PREFIX + "the CA bundle of %s is missing (%s): check the name and key" % (ca["from"], path))
        text = path.read_text()
        if "-----BEGIN CERTIFICATE-----" not in text:
            sys.exit(PREFIX + "the CA bundle of %s (%s) holds no PEM certificate" % (ca["from"], path))
        parts.append(text)
    pathlib.Path(target).write_text("\n".join(p.rstrip("\n") for p in parts) + "\n")


def configure_network(config, settings):
    """Sets each configured provider's network keys, and writes the joined CA bundle."""
    network = settings.get("network")
    if not network:
        return
    join_bundle(network)
    wanted = network.get("providers") or {}
    for entry in config.get("providers", {}).get("inference") or []:
        keys = wanted.get(entry.get("provider_id"))
        if keys:
            conf = entry.get("config")
            if not isinstance(conf, dict):
                conf = entry["config"] = {}
            conf.update(keys)
