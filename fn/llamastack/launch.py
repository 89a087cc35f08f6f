"""Starts Llama Stack's (or OGX's) starter distribution as a KServe model server.

Written by the llamastack-integration function into the service's ConfigMap, next to
settings.json, which says everything this program needs: the server's release line, the
configured providers and the names each model answers to, the port, TLS and the writable
data directory. It uses only the standard library and PyYAML, which the server depends on.

Every upstream fact it relies on is cited by file at a tag:
  LS = llamastack/llama-stack v0.3.0 (same in v0.3.5), OGX = opendatahub-io/ogx v1.3.0.
"""

import importlib.util
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def fail(message):
    sys.exit("llamastack-integration start-up: " + message)


def prepare_environment(settings):
    """Points every place the server writes at the data directory (an emptyDir), whatever
    the UID, HOME and working directory: never HOME=/, /app or the image's /.llama."""
    data = pathlib.Path(settings["dataDir"])
    dirs = {name: data / name for name in ("home", "config", "store", "files", "tmp")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    os.environ.update({
        "HOME": str(dirs["home"]),
        # OGX: ogx/core/utils/config_dirs.py OGX_CONFIG_DIR; LS: llama_stack/core/utils/
        # config_dirs.py LLAMA_STACK_CONFIG_DIR. The registry and distributions live there.
        settings["configDirEnv"]: str(dirs["config"]),
        # starter run.yaml (LS) / config.yaml (OGX): ${env.SQLITE_STORE_DIR}, MILVUS_DB_PATH,
        # FILES_STORAGE_DIR name every database and file store.
        "SQLITE_STORE_DIR": str(dirs["store"]),
        "MILVUS_DB_PATH": str(dirs["store"]),
        "FILES_STORAGE_DIR": str(dirs["files"]),
        # OGX: ogx/cli/stack/run.py writes the resolved config to a temporary file.
        "TMPDIR": str(dirs["tmp"]),
        # LS: cli/stack/run.py --port defaults to LLAMA_STACK_PORT; OGX: to OGX_PORT.
        settings["portEnv"]: str(settings["port"]),
    })
    # LS v0.3.0 creates ./None in the working directory (llamastack/llama-stack#3950).
    os.chdir(data)
    # KServe v0.16 mounts its certificate over /etc/ssl/certs: fall back to certifi's bundle.
    if not os.path.isfile("/etc/ssl/certs/ca-certificates.crt") and "SSL_CERT_FILE" not in os.environ:
        try:
            import certifi
            os.environ["SSL_CERT_FILE"] = certifi.where()
        except ImportError:
            pass


def starter_config(settings):
    spec = importlib.util.find_spec(settings["package"])
    if spec is None or not spec.submodule_search_locations:
        fail("this image has no Python package %r, so it is not a %s image; set spec.image to one, "
             "or spec.imageLine to the image's line" % (settings["package"], settings["line"]))
    package = pathlib.Path(list(spec.submodule_search_locations)[0])
    for candidate in settings["starterConfigs"]:
        path = package / candidate
        if path.is_file():
            return path
    fail("no starter configuration in %s (looked for %s)" % (package, ", ".join(settings["starterConfigs"])))


def configure(config, settings):
    """Serves only the configured providers, registers every model under its names, and sets
    the port, TLS and storage."""
    providers = config.setdefault("providers", {})
    wanted = {p["type"]: p["id"] for p in settings["providers"]}
    inference = []
    for entry in providers.get("inference") or []:
        kind = entry.get("provider_type", "")
        if kind in wanted:
            # The starter's provider_id is "${env.X:+name}" for some providers: make it plain.
            inference.append(dict(entry, provider_id=wanted.pop(kind)))
        elif not kind.startswith("remote::"):
            inference.append(entry)  # inline providers (embeddings) serve no remote calls
    if wanted:
        fail("the starter distribution has no provider of type %s" % ", ".join(sorted(wanted)))
    providers["inference"] = inference

    models = []
    for p in settings["providers"]:
        for m in p["models"]:
            if settings["aliases"] == "lookup":
                # LS core/routing_tables/models.py register_model: an explicit provider_id
                # registers "<provider_id>/<provider_model_id>"; update_registered_models then
                # skips the provider's own listing of the same model.
                models.append({"model_id": m["id"], "provider_id": p["id"], "provider_model_id": m["id"],
                               "model_type": "llm", "metadata": {}})
                continue
            # OGX core/routing_tables/models.py register_model: metadata _unprefixed_alias keeps
            # model_id as the identifier (what core/stack.py does for provider_id all).
            # "<provider>/<model>" comes from the provider's own listing: registering it too
            # would conflict with that listing (update_registered_models).
            for name in m["names"]:
                models.append({"model_id": name, "provider_id": p["id"], "provider_model_id": m["id"],
                               "model_type": "llm", "metadata": {"_unprefixed_alias": True}})
    resources = config.setdefault("registered_resources", {})
    resources["models"] = models
    # Shields of the starter point at models this service does not serve.
    resources["shields"] = []

    server = config.setdefault("server", {})
    server["port"] = settings["port"]
    tls = settings.get("tls")
    for key in ("tls_certfile", "tls_keyfile"):
        server.pop(key, None)
    if tls:
        server["tls_certfile"], server["tls_keyfile"] = tls["certFile"], tls["keyFile"]
    return config


def aliases(settings):
    """Maps every extra name to the identifier the server registers, for the lookup patch."""
    table = {}
    for p in settings["providers"]:
        for m in p["models"]:
            for name in m["names"]:
                table[name] = p["id"] + "/" + m["id"]
    return table


def patch_model_lookup(settings):
    """LS v0.3.x always registers "<provider>/<model>" (core/routing_tables/models.py
    register_model), so the other names are resolved where the routing table looks a model
    up (lookup_model, imported by name into models.py) and listed by list_models. The server
    runs in this process: cli/stack/run.py calls uvicorn.run with a factory, one worker."""
    from llama_stack.core.routing_tables import models as routing

    table = aliases(settings)
    original_lookup = routing.lookup_model
    original_list = routing.ModelsRoutingTable.list_models

    async def lookup_model(routing_table, model_id):
        return await original_lookup(routing_table, table.get(model_id, model_id))

    async def list_models(self):
        listed = await original_list(self)
        by_identifier = {m.identifier: m for m in listed.data}
        for name, target in table.items():
            if target in by_identifier and name not in by_identifier:
                listed.data.append(by_identifier[target].model_copy(update={"identifier": name}))
        return listed

    routing.lookup_model = lookup_model
    routing.ModelsRoutingTable.list_models = list_models


def main():
    settings = json.loads((HERE / "settings.json").read_text())
    prepare_environment(settings)
    import yaml

    source = starter_config(settings)
    config = configure(yaml.safe_load(source.read_text()), settings)
    path = pathlib.Path(settings["dataDir"]) / "config" / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv = settings["command"] + [str(path)]
    if not settings.get("tls") and settings.get("insecureFlag"):
        # OGX cli/stack/run.py refuses to serve without TLS files unless told --insecure.
        argv.append(settings["insecureFlag"])
    print("llamastack-integration start-up: %s from %s, providers %s, port %s, %s" % (
        " ".join(argv), source, ", ".join(p["id"] for p in settings["providers"]), settings["port"],
        "HTTPS" if settings.get("tls") else "plain HTTP"), flush=True)
    if settings["aliases"] == "lookup":
        patch_model_lookup(settings)
        module, _, function = settings["entrypoint"].partition(":")
        sys.argv = argv
        sys.exit(getattr(importlib.import_module(module), function)())
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
