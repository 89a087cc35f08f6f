"""Keeps token metering whole: one usage chunk per streamed chat, holding the provider's counts.

Part of the llamastack-integration start-up (see launch.py), in the server's own process.
MaaS asks every streamed chat for stream_options.include_usage, and Kuadrant's token limits
count the usage the client receives. The OpenAI API sends it once, on a final chunk with no
choices. Gemini's OpenAI-compatible endpoint (the Gemini adapter's get_base_url) sends its
running usage on every chunk instead (ogx-ai/ogx#5122), which Llama Stack v0.3.0 and v0.7.1
pass on: a client that adds them up counts the tokens many times over. OGX v1.2.2 and later
keep only the last (OpenAIMixin.coalesce_streaming_usage, set by its Gemini adapter); this
does the same on the lines that lack it.
"""

import importlib

# Provider type -> the adapter class (module under the server's package, class name) whose
# provider puts its running usage on every streamed chunk.
USAGE_ON_EVERY_CHUNK = {
    "remote::gemini": ("providers.remote.inference.gemini.gemini", "GeminiInferenceAdapter"),
}


def restore(settings):
    """Makes the configured adapters of USAGE_ON_EVERY_CHUNK stream usage once."""
    for provider in settings["providers"]:
        where = USAGE_ON_EVERY_CHUNK.get(provider["type"])
        if where is None:
            continue
        module = importlib.import_module(settings["package"] + "." + where[0])
        adapter = getattr(module, where[1])
        if getattr(adapter, "coalesce_streaming_usage", False):
            continue  # the server does it (OGX v1.2.2 and later)
        adapter.openai_chat_completion = usage_once(adapter.openai_chat_completion)


def usage_once(chat):
    async def openai_chat_completion(self, params, *args, **kwargs):
        result = await chat(self, params, *args, **kwargs)
        if getattr(params, "stream", False) and hasattr(result, "__aiter__"):
            return last_usage_at_end(result)
        return result
    return openai_chat_completion


async def last_usage_at_end(stream):
    """The stream without usage on its chunks, then one chunk with no choices and the last
    usage seen (the provider's running total is final on its last chunk)."""
    last = None
    async for chunk in stream:
        if getattr(chunk, "usage", None) is not None:
            last = chunk.model_copy(update={"choices": []})
            chunk.usage = None
        yield chunk
    if last is not None:
        yield last
