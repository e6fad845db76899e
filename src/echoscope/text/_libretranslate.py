"""The `libretranslate` backend: a LibreTranslate server (self-hosted, or a hosted one with an API key).

Texts go in batches (`q` as a list, one request per `batch_size` texts). A server that asks to slow
down (429) or fails (5xx, a dropped connection, a timeout) is retried with exponential backoff, honouring
Retry-After; a refused API key, an unsupported pair or a server that is not there is a clear error at
once. The API key travels in the request body only: it is never part of a stored model label or a message.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import httpx

from echoscope.text.translate import API_KEY_ENV, TranslationFailed, Translator, TranslatorUnavailable

_START_HINT = "start one with `docker run -p 5000:5000 libretranslate/libretranslate --load-only {codes}`"


class LibreTranslate(Translator):
    name = "libretranslate"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        batch_size: int = 32,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 60.0,
    ) -> None:
        parsed = httpx.URL(url)
        self.url = str(parsed.copy_with(username=None, password=None)).rstrip("/")  # no credentials in labels
        self.api_key = api_key
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self._client = httpx.Client(base_url=parsed, timeout=timeout)
        self._offered: dict[str, set[str]] | None = None

    def close(self) -> None:
        self._client.close()

    def model(self, source: str, target: str) -> str:
        offered = self._languages()
        if target not in offered.get(source, set()):
            have = ", ".join(f"{code}→{'/'.join(sorted(targets))}" for code, targets in sorted(offered.items())) or "none"
            raise TranslatorUnavailable(
                f"the LibreTranslate server at {self.url} does not translate {source}→{target} (it offers {have}); "
                f"restart it with both languages loaded: "
                + _START_HINT.format(codes=",".join(sorted({source, target, *offered})))
            )
        return f"LibreTranslate at {self.url}"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        translated: list[str] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            body: dict[str, Any] = {"q": batch, "source": source, "target": target, "format": "text"}
            if self.api_key:
                body["api_key"] = self.api_key
            answer = self._request("POST", "/translate", json=body)
            result = answer.get("translatedText") if isinstance(answer, dict) else None
            if not isinstance(result, list) or len(result) != len(batch) or not all(isinstance(t, str) for t in result):
                raise TranslationFailed(
                    f"the LibreTranslate server at {self.url} answered {len(batch)} texts with {answer!r:.200}; "
                    "expected {\"translatedText\": [one string per text]}"
                )
            translated.extend(result)
        return translated

    def _languages(self) -> dict[str, set[str]]:
        """GET /languages once: source code → the target codes the server offers for it."""
        if self._offered is None:
            answer = self._request("GET", "/languages")
            try:
                self._offered = {entry["code"]: set(entry.get("targets") or ()) for entry in answer}
            except (TypeError, KeyError):
                raise TranslationFailed(f"{self.url}/languages is not a LibreTranslate language list: {answer!r:.200}") from None
        return self._offered

    def _request(self, method: str, path: str, **kwargs) -> Any:
        """One API call with retries on 429, 5xx and dropped connections; other failures raise at once."""
        attempt = 0
        while True:
            last_try = attempt >= self.retries
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.ConnectError as exc:
                raise TranslatorUnavailable(
                    f"cannot reach the LibreTranslate server at {self.url} ({exc}): {_START_HINT.format(codes='ar,fa,ru,uk,en')}, "
                    "or point `url` under [stages.translate] (or --url) at a running server"
                ) from None
            except httpx.TransportError as exc:
                if last_try:
                    raise TranslationFailed(f"the LibreTranslate server at {self.url} did not answer {path} ({exc!r}) after {attempt + 1} attempts") from None
                time.sleep(self.backoff * 2**attempt)
                attempt += 1
                continue
            status = response.status_code
            if status < 400:
                return _json(response, self.url)
            if status == 403 or "api key" in _error(response).lower():  # refused, or "… to get an API key"
                raise TranslatorUnavailable(
                    f"the LibreTranslate server at {self.url} refused the request: {_error(response)}. "
                    f"Set {API_KEY_ENV} to a valid API key (it is read from the environment only, never stored)"
                )
            if (status == 429 or status >= 500) and not last_try:
                time.sleep(self._delay(response, attempt))
                attempt += 1
                continue
            if status == 429:
                raise TranslationFailed(
                    f"the LibreTranslate server at {self.url} still asks to slow down after {attempt + 1} attempts "
                    f"({_error(response)}): lower batch_size or raise retries/backoff under [stages.translate]"
                )
            if status >= 500:
                raise TranslationFailed(
                    f"the LibreTranslate server at {self.url} failed {attempt + 1} times with {status} "
                    f"({_error(response)}); its log says why"
                )
            raise TranslationFailed(f"the LibreTranslate server at {self.url} rejected {path} with {status}: {_error(response)}")

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After", "")
        waited = float(retry_after) if retry_after.isdigit() else 0.0
        return max(waited, self.backoff * 2**attempt)


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TranslationFailed(f"the server at {url} is not a LibreTranslate API: {response.request.url.path} answered {response.text[:200]!r}") from None


def _error(response: httpx.Response) -> str:
    """LibreTranslate's {"error": …} message, or the start of whatever else the server sent."""
    try:
        message = response.json().get("error")
    except (ValueError, AttributeError):
        message = None
    return str(message) if message else f"HTTP {response.status_code} {response.text[:200]!r}"
