package io.github.clusterip.cli;

import io.github.clusterip.internal.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one key from etcd through its v3 JSON gateway ({@code POST <endpoint>/v3/kv/range} with
 * {@code {"key":"<base64>"}}, answered by {@code {"header":{...},"kvs":[{"key":"...","value":"...",
 * "mod_revision":"..."}],"count":"1"}}; a missing key has no {@code kvs}), with {@code java.net.http}.
 * Plain http and https with the JVM's default trust store, never through a proxy; no client
 * certificates.
 */
final class EtcdSource {

    /** The largest response read: a 4 MiB value in base64 and its envelope fit well. */
    static final int MAX_RESPONSE_BYTES = 8 << 20;
    /** The default --timeout. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    /** A value read from etcd, and the revision that last changed it. */
    record Value(byte[] bytes, String modRevision) {
    }

    private EtcdSource() {
    }

    /** Parses --etcd: an http or https URL with a host, and no path (other than "/"), query or fragment. */
    static URI endpoint(String text, String usage) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw Failure.usage("--etcd needs an http:// or https:// URL such as http://127.0.0.1:2379, not "
                    + Messages.quote(text) + " (" + e.getReason() + ")", usage);
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw Failure.usage("--etcd needs an http:// or https:// URL such as http://127.0.0.1:2379, not "
                    + Messages.quote(text) + (scheme == null ? " (no scheme)" : " (scheme " + Messages.quote(scheme) + ")"),
                    usage);
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || !(uri.getRawPath() == null || uri.getRawPath().isEmpty()
                        || uri.getRawPath().equals("/"))) {
            throw Failure.usage("--etcd needs the URL of an etcd client endpoint: a scheme, a host and a port"
                    + " only, such as http://127.0.0.1:2379, not " + Messages.quote(text), usage);
        }
        return URI.create(scheme + "://" + uri.getRawAuthority() + "/v3/kv/range");
    }

    /** Parses --timeout: a whole number and a unit, ms, s or m, from 1ms to 10m. */
    static Duration timeout(String text, String usage) {
        int digits = 0;
        while (digits < text.length() && text.charAt(digits) >= '0' && text.charAt(digits) <= '9') {
            digits++;
        }
        String number = text.substring(0, digits);
        String unit = text.substring(digits);
        if (Options.isCanonicalDecimal(number, false) && number.length() <= 9) {
            long n = Long.parseLong(number);
            Duration duration = switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> null;
            };
            if (duration != null && !duration.isZero() && duration.compareTo(MAX_TIMEOUT) <= 0) {
                return duration;
            }
        }
        throw Failure.usage("--timeout needs a duration from 1ms to 10m, a whole number and a unit (ms, s or m)"
                + " such as 5s or 500ms, not " + Messages.quote(text), usage);
    }

    /**
     * Reads {@code key}: its value, or a failure with exit code 6 if etcd cannot be reached or
     * answers with an error, 7 if the key does not exist.
     */
    static Value read(URI rangeUrl, String key, Duration timeout) {
        String endpoint = Messages.quote(rangeUrl.getScheme() + "://" + rangeUrl.getRawAuthority());
        String body = "{\"key\":\"" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\"}";
        HttpRequest request = HttpRequest.newBuilder(rangeUrl).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).proxy(HttpClient.Builder.NO_PROXY)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        int status;
        byte[] response;
        try {
            HttpResponse<InputStream> answer = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = answer.statusCode();
            try (InputStream stream = answer.body()) {
                response = stream.readNBytes(MAX_RESPONSE_BYTES + 1);
            }
        } catch (HttpConnectTimeoutException e) {
            throw Failure.etcdUnavailable("cannot reach etcd at " + endpoint + ": no connection within "
                    + describe(timeout) + " (--timeout)");
        } catch (HttpTimeoutException e) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " did not answer within " + describe(timeout)
                    + " (--timeout)");
        } catch (ConnectException e) {
            throw Failure.etcdUnavailable("cannot reach etcd at " + endpoint + ": connection refused");
        } catch (IOException e) {
            throw Failure.etcdUnavailable("cannot read from etcd at " + endpoint + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Failure.etcdUnavailable("interrupted while reading from etcd at " + endpoint);
        }
        if (response.length > MAX_RESPONSE_BYTES) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered more than " + MAX_RESPONSE_BYTES
                    + " bytes for one key");
        }
        if (status != 200) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered HTTP " + status + " to POST /v3/kv/range"
                    + errorOf(response) + " (is it etcd 3.4 or later, which serves its v3 API as JSON there?)");
        }
        return valueOf(response, key, endpoint);
    }

    private static String errorOf(byte[] response) {
        try {
            if (Json.parse(response, "etcd's answer") instanceof Json.JObject object
                    && object.members().get("message") instanceof Json.JString message) {
                return ": " + Messages.quote(message.text());
            }
        } catch (Failure e) {
            // not JSON: the status alone says it
        }
        return "";
    }

    private static Value valueOf(byte[] response, String key, String endpoint) {
        Json.Value answer;
        try {
            answer = Json.parse(response, "etcd's answer");
        } catch (Failure e) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered something that is not JSON: "
                    + e.getMessage());
        }
        if (!(answer instanceof Json.JObject object) || !(object.members().get("header") instanceof Json.JObject)) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered JSON without a \"header\" object: is it"
                    + " etcd?");
        }
        Json.Value kvs = object.members().get("kvs");
        List<Json.Value> list = kvs instanceof Json.JArray array ? array.elements() : List.of();
        if (kvs != null && !(kvs instanceof Json.JArray)) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered a \"kvs\" that is not an array");
        }
        if (list.isEmpty()) {
            throw Failure.keyNotFound("etcd at " + endpoint + " has no key " + Messages.quote(key));
        }
        if (list.size() > 1 || !(list.get(0) instanceof Json.JObject kv)) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered " + list.size()
                    + " entries for the one key " + Messages.quote(key));
        }
        Map<String, Json.Value> members = kv.members();
        byte[] bytes = new byte[0]; // etcd leaves "value" out when it is empty
        if (members.get("value") instanceof Json.JString value) {
            try {
                bytes = Base64.getDecoder().decode(value.text());
            } catch (IllegalArgumentException e) {
                throw Failure.etcdUnavailable("etcd at " + endpoint + " answered a value that is not base64: "
                        + e.getMessage());
            }
        } else if (members.get("value") != null) {
            throw Failure.etcdUnavailable("etcd at " + endpoint + " answered a \"value\" that is not a string");
        }
        String revision = members.get("mod_revision") instanceof Json.JString text ? text.text() : "unknown";
        return new Value(bytes, revision);
    }

    /** A duration as --timeout takes it. */
    static String describe(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
