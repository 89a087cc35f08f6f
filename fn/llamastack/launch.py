"""Starts a Llama Stack (or OGX) server as a KServe model server.

Written by the llamastack-integration function into the service's ConfigMap, next to
settings.json, which says everything this program needs: the server's release line, where
its configuration comes from (the starter distribution in the Python package, or the
distribution image's own file), the configured providers and the names each model answers
to, the port, TLS, the storage and the writable data directory. It uses only the standard
library and PyYAML, which the server depends on.

It runs the server as its child and stays as the container's first process: it forwards
the signals Kubernetes sends, and a server that exits with status 0 before it was asked to
stop (OGX does so when it cannot reach PostgreSQL) fails the container instead of leaving a
pod that looks "Completed".

Every upstream fact it relies on is cited by file at a tag:
  LS = llamastack/llama-stack v0.3.0 (same in v0.3.5) and v0.7.1, OGX = opendatahub-io/ogx
  v1.3.0 and v1.2.2+rhaiv.0, ODH = opendatahub-io/llama-stack-distribution 4911d0d0ed29 and
  red-hat-data-services/ogx-distribution 60dacaa36067 (distribution/).
"""

import importlib
import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys

import metrics
import usage
import network

HERE = pathlib.Path(__file__).resolve().parent
PREFIX = "llamastack-integration start-up: "


def fail(message):
    sys.exit(PREFIX + message)


def prepare_environment(settings):
    """Points every place the server writes at the data directory (an emptyDir), whatever
    the UID, HOME and working directory: never HOME=/, /app or the image's own folders."""
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


def source_config(settings):
    """The configuration the image would run: the distribution image's own file, or the
    starter distribution's file in the server's Python package."""
    image_config = settings.get("imageConfig")
    if image_config:
        path = pathlib.Path(image_config)
        if not path.is_file():
            fail("this image has no %s, so it is not a %s image; set spec.image to one, or spec.imageLine "
                 "to the image's line" % (image_config, settings["line"]))
        return path
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


def configure_providers(config, settings):
    """Serves only the configured providers' inference, each under the function's provider id
    (the distributions' ids are "${env.X:+name}", and ODH's vLLM is "vllm-inference")."""
    providers = config.setdefault("providers", {})
    wanted = {p["type"]: p["id"] for p in settings["providers"]}
    inference = []
    for entry in providers.get("inference") or []:
        kind = entry.get("provider_type", "")
        if kind in wanted:
            inference.append(dict(entry, provider_id=wanted.pop(kind), config=provider_config(entry, settings)))
        elif not kind.startswith("remote::"):
            inference.append(entry)  # inline providers (embeddings) serve no remote calls
    if wanted:
        fail("the %s configuration has no provider of type %s" % (settings["line"], ", ".join(sorted(wanted))))
    providers["inference"] = inference


def provider_config(entry, settings):
    """The provider's config, corrected where a distribution's own file is wrong: ODH's configs
    (ODH distribution/config.yaml) give remote::azure "api_base", but the servers' AzureConfig
    (LS v0.7.1, OGX v1.2.2 remote/inference/azure/config.py) reads base_url, so the adapter had
    no URL and every chat failed. The starters give base_url, from the same AZURE_API_BASE."""
    conf = dict(entry.get("config") or {})
    if settings.get("imageConfig") and entry.get("provider_type") == "remote::azure" and "api_base" in conf \
            and "base_url" not in conf:
        conf["base_url"] = conf.pop("api_base")
    return conf


def configure_models(config, settings):
    """Registers every model under its names (or under <provider>/<model>, where the line
    resolves the other names at lookup)."""
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
    # Shields of the distributions point at models this service does not serve.
    resources["shields"] = []


def postgres_backend(kind, table_name):
    """A backend on the PostgreSQL that the pod's POSTGRES_* variables name; the password stays
    a reference, resolved by the server (LS and OGX core/storage/datatypes.py kv_postgres and
    sql_postgres: host, port, db, user, password, table_name)."""
    backend = {"type": kind, "host": "${env.POSTGRES_HOST}", "port": "${env.POSTGRES_PORT}",
               "db": "${env.POSTGRES_DB}", "user": "${env.POSTGRES_USER}", "password": "${env.POSTGRES_PASSWORD}"}
    if kind == "kv_postgres":
        backend["table_name"] = table_name
    return backend


def configure_storage(config, settings):
    """Keeps the state where spec.storage says: SQLite files on the data volume (one replica's
    state, lost with the pod), or the PostgreSQL of spec.storage.postgres. Every backend of
    storage.backends is a key-value (kv_*) or SQL (sql_*) store (LS and OGX
    core/storage/datatypes.py), in the starters and the ODH distributions alike."""
    backends = config.setdefault("storage", {}).setdefault("backends", {})
    store = os.environ["SQLITE_STORE_DIR"]
    for name, backend in list(backends.items()):
        kind = "kv" if str(backend.get("type", "")).startswith("kv_") else "sql"
        if settings["storage"] != "postgres":
            backends[name] = {"type": kind + "_sqlite", "db_path": "%s/%s.db" % (store, name)}
        else:
            if not str(backend.get("type", "")).endswith("_postgres"):
                # The ODH distributions' own PostgreSQL backends (POSTGRES_* variables) stay as
                # they are; a starter's SQLite ones move to the same variables.
                backends[name] = backend = postgres_backend(kind + "_postgres", "llamastack_" + name)
            if kind == "kv":
                # kv_postgres passes its own ssl_mode and ca_cert_path to the driver (LS 0.7.1
                # psycopg2, OGX asyncpg: core/storage/kvstore/postgres); sql_postgres has no
                # such fields and its driver, asyncpg, reads PGSSLMODE and PGSSLROOTCERT.
                for key, env in (("ssl_mode", "PGSSLMODE"), ("ca_cert_path", "PGSSLROOTCERT")):
                    if os.environ.get(env):
                        backend[key] = os.environ[env]
    # The files provider's directory is fixed under the image's HOME in the ODH distributions.
    for entry in config.get("providers", {}).get("files") or []:
        conf = entry.get("config") or {}
        if "storage_dir" in conf:
            conf["storage_dir"] = os.environ["FILES_STORAGE_DIR"]


def configure_server(config, settings):
    server = config.setdefault("server", {})
    server["port"] = settings["port"]
    tls = settings.get("tls")
    for key in ("tls_certfile", "tls_keyfile"):
        server.pop(key, None)
    if tls:
        server["tls_certfile"], server["tls_keyfile"] = tls["certFile"], tls["keyFile"]


def aliases(settings):
    """Maps every extra name to the identifier the server registers, for the lookup patch."""
    table = {}
    for p in settings["providers"]:
        for m in p["models"]:
            for name in m["names"]:
                table[name] = p["id"] + "/" + m["id"]
    return table


def patch_model_lookup(settings):
    """LS 0.3.x to 0.7.x always registers "<provider>/<model>" (core/routing_tables/models.py
    register_model) and has no way to register another name, so the other names are resolved
    where every lookup of a model goes, CommonRoutingTableImpl.get_object_by_identifier
    (core/routing_tables/common.py: lookup_model and, from 0.4 on, the inference router's
    _get_model_provider call it), and listed by the models routing table's list_models
    (0.3.x /v1/models) and openai_list_models (0.7.x /v1/models). The server runs in this
    process: cli/stack/run.py calls uvicorn.run with one worker."""
    package = settings["package"]
    common = importlib.import_module(package + ".core.routing_tables.common")
    models = importlib.import_module(package + ".core.routing_tables.models")
    table = aliases(settings)
    original_get = common.CommonRoutingTableImpl.get_object_by_identifier

    async def get_object_by_identifier(self, type, identifier):
        if type == "model":
            identifier = table.get(identifier, identifier)
        return await original_get(self, type, identifier)

    common.CommonRoutingTableImpl.get_object_by_identifier = get_object_by_identifier
    for method, key in (("list_models", "identifier"), ("openai_list_models", "id")):
        original = getattr(models.ModelsRoutingTable, method, None)
        if original is not None:
            setattr(models.ModelsRoutingTable, method, listing_with_aliases(original, key, table))


def listing_with_aliases(original, key, table):
    async def listing(self):
        listed = await original(self)
        by_name = {getattr(m, key): m for m in listed.data}
        for name, target in table.items():
            if target in by_name and name not in by_name:
                listed.data.append(by_name[target].model_copy(update={key: name}))
        return listed
    return listing


def serve(settings, argv):
    """The child process of the lookup lines: the server, in process, with names patched."""
    patch_model_lookup(settings)
    usage.restore(settings)
    module, _, function = settings["entrypoint"].partition(":")
    sys.argv = argv
    sys.exit(getattr(importlib.import_module(module), function)())


def server_process(settings, config_path):
    """The command line of the server, and the environment it needs beyond this one's."""
    argv = settings["command"] + [str(config_path)]
    if not settings.get("tls") and settings.get("insecureFlag"):
        # OGX cli/stack/run.py refuses to serve without TLS files unless told --insecure.
        argv.append(settings["insecureFlag"])
    if settings["aliases"] == "lookup":
        return [sys.executable, str(pathlib.Path(__file__).resolve()), "--serve"] + argv, {}
    if settings.get("imageEntrypoint"):
        # ODH's entrypoint.sh resolves <VAR>_FILE secrets, then runs "ogx run --insecure
        # $RUN_CONFIG_PATH" (the TLS files of the config win over --insecure: OGX
        # cli/stack/run.py), or runs its own config if RUN_CONFIG_PATH names no file.
        return [settings["imageEntrypoint"]], {"RUN_CONFIG_PATH": str(config_path)}
    return argv, {}


def supervise(argv, extra_env, settings):
    """Runs the server and returns this container's exit status."""
    child = subprocess.Popen(argv, env=dict(os.environ, **extra_env))
    stopping = []

    def forward(signum, _frame):
        stopping.append(signum)
        child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    status = child.wait()
    if stopping and status in (0, -stopping[0], 128 + stopping[0]):
        return 0  # stopped as asked (uvicorn re-raises the signal)
    if status == 0:
        sys.stderr.write(PREFIX + "the server exited with status 0 although nothing asked it to stop: "
                         + exit_reason(settings) + "\n")
        return 1
    return status if status > 0 else 128 - status


def exit_reason(settings):
    pg = settings.get("postgres")
    if settings["storage"] == "postgres" and pg:
        return ("it could not start on its PostgreSQL database (OGX exits so when it cannot connect): check that %s:%s "
                "is reachable from the pod, that database %s and user %s exist, and that Secret %s holds the user's "
                "password; the server's log above says more" % (pg["host"], pg["port"], pg["database"], pg["user"],
                                                              pg["passwordSecret"]))
    return "its log above says why it stopped"


def main():
    settings = json.loads((HERE / "settings.json").read_text())
    if sys.argv[1:2] == ["--serve"]:
        serve(settings, sys.argv[2:])
    prepare_environment(settings)
    metrics.expose(settings)
    import yaml

    source = source_config(settings)
    config = yaml.safe_load(source.read_text())
    for step in (configure_providers, configure_models, configure_storage, configure_server, network.configure_network):
        step(config, settings)
    path = pathlib.Path(settings["dataDir"]) / "config" / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv, extra_env = server_process(settings, path)
    print(PREFIX + "%s from %s, providers %s, port %s, %s, state in %s" % (
        " ".join(argv), source, ", ".join(p["id"] for p in settings["providers"]), settings["port"],
        "HTTPS" if settings.get("tls") else "plain HTTP",
        "PostgreSQL" if settings["storage"] == "postgres" else "SQLite on the data volume"), flush=True)
    sys.exit(supervise(argv, extra_env, settings))


if __name__ == "__main__":
    main()
