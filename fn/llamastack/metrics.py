"""Serves the server's own metrics in Prometheus' text format at /metrics on its API port.

Open Data Hub's KServe (odh-v3.5 pkg/controller/v1alpha2/llmisvc/monitoring.go,
expectedVLLMEngineMonitor) makes a PodMonitor for every LLMInferenceService pod: port 8000,
scheme https (certificate not verified), no path (so Prometheus' /metrics), no credentials.
vLLM answers there; the Llama Stack and OGX servers do not:
  LS 0.3.0: the telemetry provider counts tokens through OpenTelemetry's meter
    (providers/inline/telemetry/meta_reference/telemetry.py _log_metric; core/routers/
    inference.py _construct_metrics: prompt_tokens, completion_tokens, total_tokens) and
    exports them by OTLP only, when OTEL_EXPORTER_OTLP_ENDPOINT is set;
  LS 0.7.1 (and ODH's 0.7.1+rhaiv.1): core/server/metrics.py RequestMetricsMiddleware counts
    every request (llama_stack.requests_total, request_duration_seconds), exported by OTLP only
    (telemetry/__init__.py setup_telemetry);
  OGX 1.3.0 and 1.2.2+rhaiv.0: the same middleware (ogx.requests_total ...); besides OTLP,
    OGX_METRICS_ENDPOINT_ENABLED serves them on a port of their own (OGX_METRICS_PORT, 9464, on
    127.0.0.1 unless OGX_METRICS_HOST: telemetry/__init__.py start_metrics_server), which needs
    prometheus_client and opentelemetry-exporter-prometheus, and is not where ODH looks.

So the start-up reads the server's meters itself, with the OpenTelemetry SDK every line ships
(an InMemoryMetricReader), and answers GET /metrics in the server's own uvicorn, on its own
port and TLS: nothing else listens. The server runs in a child process (through the image's
entrypoint on odh-ogx), so the reader gets there through Python's sitecustomize hook: a
folder on the data volume, first on PYTHONPATH, whose sitecustomize.py loads this file and
wraps the app that uvicorn.Config.load loads (uvicorn 0.35 and 0.46 config.py). /metrics
answers without credentials, as vLLM's does and as the PodMonitor scrapes; every other path
goes to the server unchanged.
"""

import importlib.machinery
import importlib.util
import math
import os
import pathlib
import re
import sys

HOOK_DIR = "metrics-hook"
PATH = "/metrics"
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
MODULE = "llamastack_integration_metrics"

SITECUSTOMIZE = '''# Written by the llamastack-integration start-up: serves the server's metrics at /metrics.
import importlib.util as _u
_s = _u.spec_from_file_location(%r, %r)
_m = _u.module_from_spec(_s)
_s.loader.exec_module(_m)
_m.start(__file__)
'''


def expose(settings):
    """Makes every Python the server runs (its own, or its entrypoint's) load hook() first."""
    folder = pathlib.Path(settings["dataDir"]) / HOOK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE % (MODULE, str(pathlib.Path(__file__).resolve())))
    paths = [str(folder)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)


def start(own):
    """Runs in sitecustomize: first the sitecustomize ours hides, if the image has one, then hook."""
    folder = os.path.dirname(os.path.abspath(own))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != folder]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        theirs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(theirs)
        sys.modules["sitecustomize"] = theirs
    hook()


def hook():
    """Wraps the app uvicorn serves, in whichever process imports uvicorn to serve."""
    try:
        import uvicorn.config
    except ImportError:
        return  # not the server's Python
    config = uvicorn.config.Config
    if getattr(config.load, "_metrics", False):
        return
    original = config.load

    def load(self):
        original(self)
        self.loaded_app = MetricsApp(self.loaded_app)

    load._metrics = True
    config.load = load


class MetricsApp:
    """The server's app, with GET /metrics answered from the server's meters. The reader is
    attached at the first request: uvicorn serves none before the app's start-up (lifespan),
    where OGX sets up its own telemetry (core/stack.py initialize_telemetry)."""

    def __init__(self, app):
        self.app = app
        self.reader = None
        self.problem = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.reader is None and self.problem is None:
            self.reader, self.problem = attach_reader()
        if scope["path"] != PATH:
            return await self.app(scope, receive, send)
        if scope["method"] not in ("GET", "HEAD"):
            return await respond(send, 405, b"only GET and HEAD\n", scope)
        if self.reader is None:
            return await respond(send, 503, self.problem.encode() + b"\n", scope)
        return await respond(send, 200, exposition(self.reader.get_metrics_data()).encode(), scope)


async def respond(send, status, body, scope):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def attach_reader():
    """Adds a reader to the server's MeterProvider, or installs one with it where the server has
    none (no OTLP endpoint set). Returns (reader, None) or (None, why not)."""
    try:
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    except ImportError as e:
        return None, "the server's Python has no OpenTelemetry SDK (%s)" % e
    reader = InMemoryMetricReader()
    current = metrics.get_meter_provider()
    if isinstance(current, MeterProvider):
        if not hasattr(current, "add_metric_reader"):
            # Without add_metric_reader (opentelemetry-sdk 1.36 has none; 1.43 has it), a provider
            # takes no reader after its creation.
            return None, ("the server exports its metrics by OTLP (OTEL_EXPORTER_OTLP_ENDPOINT) with an "
                          "OpenTelemetry SDK that takes no second reader; read them where OTLP sends them")
        current.add_metric_reader(reader)
        return reader, None
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    if metrics.get_meter_provider() is current:
        return None, "OpenTelemetry refused a MeterProvider"
    return reader, None


def exposition(data):
    """Prometheus' text format (0.0.4) of OpenTelemetry metrics data, each name once."""
    out, typed = [], set()
    for resource in getattr(data, "resource_metrics", None) or []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out.extend(family(metric, typed))
    return "".join(line + "\n" for line in out)


def family(metric, typed):
    """One metric's lines: a monotonic sum is a counter, a histogram a histogram, the rest
    gauges (up-down counters, gauges). Exponential histograms are left out."""
    kind = type(metric.data).__name__
    name = prom_name(metric.name)
    if kind == "Sum" and metric.data.is_monotonic:
        kind, name = "counter", name if name.endswith("_total") else name + "_total"
    elif kind == "Histogram":
        kind = "histogram"
    elif kind in ("Sum", "Gauge"):
        kind = "gauge"
    else:
        return []
    lines = []
    if name not in typed:
        typed.add(name)
        lines += ["# HELP %s %s" % (name, escape(metric.description or metric.name, False)), "# TYPE %s %s" % (name, kind)]
    for point in metric.data.data_points:
        attrs = dict(point.attributes or {})
        if kind != "histogram":
            lines.append(sample(name, attrs, point.value))
            continue
        cumulative = 0
        for bound, count in zip(list(point.explicit_bounds) + [math.inf], point.bucket_counts):
            cumulative += count
            lines.append(sample(name + "_bucket", dict(attrs, le=bound), cumulative))
        lines += [sample(name + "_sum", attrs, point.sum), sample(name + "_count", attrs, point.count)]
    return lines


def prom_name(name):
    name = re.sub(r"[^a-zA-Z0-9_:]", "_", name)
    return "_" + name if name[:1].isdigit() else name


def sample(name, attrs, value):
    labels = ",".join('%s="%s"' % (prom_name(str(k)), escape(number(v) if isinstance(v, float) else str(v), True))
                      for k, v in sorted(attrs.items()))
    return "%s%s %s" % (name, "{" + labels + "}" if labels else "", number(value))


def number(v):
    if isinstance(v, float):
        if math.isinf(v):
            return "+Inf" if v > 0 else "-Inf"
        return repr(v)
    return str(v)


def escape(text, quoted):
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if quoted else text

