package eventproc.kstreams;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The per-event work, without Kafka: decoding and validation (docs/contract.md, the main
 * rules), the canonical metadata form with its SHA-256 hash and summary, the four-factor
 * classification of docs/processing.md with the default source keywords, the risk score, and
 * the output JSON. Not safe for concurrent use (one per stream task).
 */
final class EventJob {
    static final int MAX_EVENT_BYTES = 1 << 20;
    static final int MAX_DEPTH = 32;
    static final double MAX_CLOCK_SKEW_S = 300;
    static final double MIN_TIMESTAMP_S = 946684800; // 2000-01-01T00:00:00Z

    static final String[] CATEGORIES = {"SYSTEM", "USER", "TRANSACTION", "MONITORING", "ALERT"};
    static final int SYSTEM = 0, USER = 1, TRANSACTION = 2, MONITORING = 3, ALERT = 4;

    /** A rejected record: the DLQ reason code and a message naming the field. */
    static final class Rejection extends Exception {
        final String reason;

        Rejection(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    /** An accepted event, normalised. */
    static final class Event {
        String eventId;
        String sourceId;
        double timestamp;
        double receivedAt;
        boolean timestampCorrected;
        String priority = "MEDIUM";
        double load;
        String canonicalMetadata = "{}";
        JsonNode metadata; // as parsed; null when absent
        String metadataHash;
        // summary
        int fieldCount, maxDepth, leafCount, byteSize;
        int strings, numbers, bools, nulls, objects, arrays;
        ObjectNode payload;
    }

    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final String[][] KEYWORDS = {
        {"system", "kernel", "infra"},
        {"user", "login", "session", "account"},
        {"payment", "order", "txn", "transaction", "checkout", "invoice", "billing"},
        {"monitor", "metric", "health"},
        {"alert", "alarm", "incident"},
    };

    private final ObjectMapper mapper;
    private final MessageDigest sha256;
    private final StringBuilder canon = new StringBuilder(512);

    EventJob() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        mapper = new ObjectMapper(factory);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        mapper.setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Decodes and validates one record value. */
    Event decode(byte[] value, long receivedAtMs) throws Rejection {
        if (value == null || value.length == 0) {
            throw new Rejection("invalid_json", "empty value or tombstone");
        }
        if (value.length > MAX_EVENT_BYTES) {
            throw new Rejection("too_large", value.length + " bytes > " + MAX_EVENT_BYTES);
        }
        JsonNode root;
        try {
            root = mapper.readTree(value);
        } catch (StreamConstraintsException e) {
            throw new Rejection("too_deep", "nesting deeper than " + MAX_DEPTH);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) {
                throw new Rejection("invalid_field", msg);
            }
            throw new Rejection("invalid_json", msg == null ? "not valid JSON" : msg);
        } catch (IOException e) {
            throw new Rejection("invalid_json", String.valueOf(e.getMessage()));
        }
        if (root == null || root.isMissingNode()) {
            throw new Rejection("invalid_json", "white space only");
        }
        if (!root.isObject()) {
            throw new Rejection("not_an_object", "the value is JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT) + ", not an object");
        }
        Event ev = new Event();
        ev.receivedAt = receivedAtMs / 1000.0;
        ev.eventId = id(root.get("event_id"), "event_id");
        ev.sourceId = id(root.get("source_id"), "source_id");
        ev.timestamp = timestamp(root.get("timestamp"));
        if (ev.timestamp > ev.receivedAt + MAX_CLOCK_SKEW_S || ev.timestamp < MIN_TIMESTAMP_S) {
            ev.timestamp = ev.receivedAt;
            ev.timestampCorrected = true;
        }
        JsonNode p = root.get("priority");
        if (p != null && !p.isNull()) {
            String s = p.isTextual() ? p.textValue().strip().toUpperCase(Locale.ROOT) : "";
            switch (s) {
                case "LOW", "MEDIUM", "HIGH", "CRITICAL" -> ev.priority = s;
                default -> throw new Rejection("invalid_field", "priority: " + p + " is not LOW, MEDIUM, HIGH or CRITICAL");
            }
        }
        JsonNode l = root.get("load_indicator");
        if (l != null && !l.isNull()) {
            double load = number(l, "load_indicator");
            ev.load = Double.isNaN(load) ? 0 : Math.min(1, Math.max(0, load));
            if (ev.load == 0) {
                ev.load = 0; // -0 becomes 0
            }
        }
        JsonNode m = root.get("metadata");
        if (m != null && !m.isNull()) {
            if (!m.isObject()) {
                throw new Rejection("invalid_field", "metadata: not an object");
            }
            canon.setLength(0);
            canonical(m, ev, 1);
            ev.canonicalMetadata = canon.toString();
            ev.fieldCount = m.size();
            ev.metadata = m;
        }
        byte[] canonBytes = ev.canonicalMetadata.getBytes(StandardCharsets.UTF_8);
        ev.byteSize = canonBytes.length;
        ev.metadataHash = HexFormat.of().formatHex(sha256.digest(canonBytes));

        ObjectNode obj = (ObjectNode) root;
        obj.remove(List.of("event_id", "source_id", "timestamp", "priority", "load_indicator", "metadata"));
        ev.payload = obj;
        return ev;
    }

    private static String id(JsonNode n, String field) throws Rejection {
        if (n == null || n.isNull() || n.isTextual() && n.textValue().isEmpty()) {
            throw new Rejection("missing_field", field + ": absent, null or empty");
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        if (n.isIntegralNumber()) {
            return n.bigIntegerValue().toString();
        }
        if (n.isNumber()) {
            double d = n.doubleValue();
            if (Double.isInfinite(d)) {
                throw new Rejection("invalid_field", field + ": number beyond float64");
            }
            return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
        }
        throw new Rejection("invalid_field", field + ": neither a string nor a number");
    }

    private static double timestamp(JsonNode n) throws Rejection {
        if (n == null || n.isNull() || n.isTextual() && n.textValue().isEmpty()) {
            throw new Rejection("missing_field", "timestamp: absent, null or empty");
        }
        Double v = numeric(n);
        if (v != null) {
            return v;
        }
        if (n.isTextual()) {
            String s = n.textValue().strip();
            try {
                OffsetDateTime t = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
                return t.toEpochSecond() + t.getNano() / 1e9;
            } catch (DateTimeParseException e) {
                throw new Rejection("invalid_field", "timestamp: " + n + " is not a number, numeric string or RFC 3339 time");
            }
        }
        throw new Rejection("invalid_field", "timestamp: not a number, numeric string or RFC 3339 time");
    }

    /** Returns n as a number when it is a JSON number or a numeric string, else null. */
    private static Double numeric(JsonNode n) {
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isTextual()) {
            String s = n.textValue().strip();
            if (JSON_NUMBER.matcher(s).matches()) {
                return Double.parseDouble(s);
            }
        }
        return null;
    }

    private static double number(JsonNode n, String field) throws Rejection {
        Double v = numeric(n);
        if (v != null) {
            return v;
        }
        throw new Rejection("invalid_field", field + ": " + n + " is not a number or numeric string");
    }

    /**
     * Appends the canonical form of n (RFC 8785 style: sorted keys, no white space, JCS string
     * escapes, exact decimal numbers laid out like ECMAScript's Number::toString) to canon and
     * counts the summary. depth is n's nesting level inside metadata (metadata itself is 1).
     */
    private void canonical(JsonNode n, Event ev, int depth) {
        switch (n.getNodeType()) {
            case OBJECT -> {
                ev.maxDepth = Math.max(ev.maxDepth, depth);
                List<String> keys = new ArrayList<>(n.size());
                for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                    keys.add(it.next());
                }
                Collections.sort(keys);
                canon.append('{');
                for (int i = 0; i < keys.size(); i++) {
                    if (i > 0) {
                        canon.append(',');
                    }
                    string(keys.get(i));
                    canon.append(':');
                    JsonNode child = n.get(keys.get(i));
                    count(child, ev);
                    canonical(child, ev, depth + 1);
                }
                canon.append('}');
            }
            case ARRAY -> {
                ev.maxDepth = Math.max(ev.maxDepth, depth);
                canon.append('[');
                for (int i = 0; i < n.size(); i++) {
                    if (i > 0) {
                        canon.append(',');
                    }
                    JsonNode child = n.get(i);
                    count(child, ev);
                    canonical(child, ev, depth + 1);
                }
                canon.append(']');
            }
            case STRING -> string(n.textValue());
            case NUMBER -> number(n.decimalValue());
            case BOOLEAN -> canon.append(n.booleanValue() ? "true" : "false");
            default -> canon.append("null");
        }
    }

    private static void count(JsonNode n, Event ev) {
        switch (n.getNodeType()) {
            case OBJECT -> ev.objects++;
            case ARRAY -> ev.arrays++;
            case STRING -> { ev.strings++; ev.leafCount++; }
            case NUMBER -> { ev.numbers++; ev.leafCount++; }
            case BOOLEAN -> { ev.bools++; ev.leafCount++; }
            default -> { ev.nulls++; ev.leafCount++; }
        }
    }

    private void string(String s) {
        canon.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> canon.append("\\\"");
                case '\\' -> canon.append("\\\\");
                case '\b' -> canon.append("\\b");
                case '\f' -> canon.append("\\f");
                case '\n' -> canon.append("\\n");
                case '\r' -> canon.append("\\r");
                case '\t' -> canon.append("\\t");
                default -> {
                    if (c < 0x20) {
                        canon.append(String.format("\\u%04x", (int) c));
                    } else {
                        canon.append(c);
                    }
                }
            }
        }
        canon.append('"');
    }

    /** The exact decimal value d laid out like ECMAScript's Number::toString. */
    private void number(BigDecimal d) {
        if (d.signum() == 0) {
            canon.append('0');
            return;
        }
        d = d.stripTrailingZeros();
        if (d.signum() < 0) {
            canon.append('-');
        }
        String s = d.unscaledValue().abs().toString();
        int k = s.length();
        int n = k - d.scale(); // value = 0.s × 10^n
        if (k <= n && n <= 21) {
            canon.append(s);
            for (int i = 0; i < n - k; i++) {
                canon.append('0');
            }
        } else if (0 < n && n <= 21) {
            canon.append(s, 0, n).append('.').append(s, n, k);
        } else if (-6 < n && n <= 0) {
            canon.append("0.");
            for (int i = 0; i < -n; i++) {
                canon.append('0');
            }
            canon.append(s);
        } else {
            int e = n - 1;
            canon.append(s.charAt(0));
            if (k > 1) {
                canon.append('.').append(s, 1, k);
            }
            canon.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
        }
    }

    // ---- classification (docs/processing.md, default rules) ----

    /** Scores per category; returns the winner's index, its confidence in conf[0]. */
    static int classify(Event ev, double[] conf) {
        double[] s = new double[5];
        // priority, weight 0.30
        switch (ev.priority) {
            case "CRITICAL" -> s[ALERT] += 0.30;
            case "HIGH" -> { s[SYSTEM] += 0.30 * 0.7; s[ALERT] += 0.30 * 0.3; }
            case "LOW" -> { for (int c = 0; c < 4; c++) s[c] += 0.30 * 0.25; }
            default -> uniform(s, 0.30);
        }
        // load, weight 0.25
        if (ev.load > 0.8) {
            s[MONITORING] += 0.25 * 0.5;
            s[ALERT] += 0.25 * 0.5;
        } else if (ev.load > 0.5) {
            s[SYSTEM] += 0.25;
        } else {
            uniform(s, 0.25);
        }
        // metadata complexity, weight 0.25
        double e = Math.min(1, Math.max(0, (complexity(ev) - 0.3) / 0.3));
        s[TRANSACTION] += 0.25 * e;
        uniform(s, 0.25 * (1 - e));
        // source keywords, weight 0.20
        boolean[] hit = new boolean[5];
        int hits = 0;
        String src = ev.sourceId.toLowerCase(Locale.ROOT);
        for (int c = 0; c < 5; c++) {
            for (String w : KEYWORDS[c]) {
                if (src.contains(w)) {
                    hit[c] = true;
                    hits++;
                    break;
                }
            }
        }
        if (hits == 0) {
            uniform(s, 0.20);
        } else {
            for (int c = 0; c < 5; c++) {
                if (hit[c]) s[c] += 0.20 / hits;
            }
        }
        int best = 0;
        double sum = 0;
        for (int c = 0; c < 5; c++) {
            sum += s[c];
            if (s[c] > s[best] + 1e-9) best = c;
        }
        conf[0] = sum > 0 ? s[best] / sum : 0;
        return best;
    }

    private static void uniform(double[] s, double w) {
        for (int c = 0; c < 5; c++) s[c] += w / 5;
    }

    static double complexity(Event ev) {
        int kinds = (ev.strings > 0 ? 1 : 0) + (ev.numbers > 0 ? 1 : 0) + (ev.bools > 0 ? 1 : 0)
                + (ev.nulls > 0 ? 1 : 0) + (ev.objects > 0 ? 1 : 0) + (ev.arrays > 0 ? 1 : 0);
        double c = 0.30 * saturate(ev.fieldCount, 16) + 0.30 * saturate(ev.maxDepth - 1, 4)
                + 0.20 * saturate(ev.leafCount, 32) + 0.10 * saturate(kinds, 6) + 0.10 * saturate(ev.byteSize, 1024);
        return Math.min(1, Math.max(0, c));
    }

    private static double saturate(int n, int limit) {
        return n <= 0 ? 0 : n >= limit ? 1 : (double) n / limit;
    }

    static double risk(Event ev, int category, double complexity) {
        double p = switch (ev.priority) {
            case "LOW" -> 0.1;
            case "HIGH" -> 0.7;
            case "CRITICAL" -> 1.0;
            default -> 0.4;
        };
        double bonus = switch (category) {
            case ALERT -> 1.0;
            case TRANSACTION -> 0.8;
            case SYSTEM -> 0.5;
            case USER -> 0.3;
            default -> 0.2;
        };
        return Math.min(1, Math.max(0, 0.25 * p + 0.25 * ev.load + 0.25 * complexity + 0.25 * bonus));
    }

    /** Classifies, scores and encodes an accepted event with its sequence number. */
    byte[] output(Event ev, long sequence, long startNanos) throws JsonProcessingException {
        double[] conf = new double[1];
        int category = classify(ev, conf);
        double complexity = complexity(ev);
        ObjectNode out = mapper.createObjectNode();
        out.put("event_id", ev.eventId);
        out.put("source_id", ev.sourceId);
        out.put("timestamp", ev.timestamp);
        out.put("received_at", ev.receivedAt);
        out.put("priority", ev.priority);
        out.put("category", CATEGORIES[category]);
        out.put("load_indicator", ev.load);
        if (ev.metadata != null) {
            out.set("metadata", ev.metadata);
        } else {
            out.putObject("metadata");
        }
        out.put("metadata_hash", ev.metadataHash);
        out.put("sequence_number", sequence);
        out.set("payload", ev.payload);
        ObjectNode d = out.putObject("derived_fields");
        d.put("intake_latency_ms", Math.max(0, (ev.receivedAt - ev.timestamp) * 1000));
        d.put("total_processing_time_ms", (System.nanoTime() - startNanos) / 1e6);
        d.put("risk_score", risk(ev, category, complexity));
        d.put("category_confidence", conf[0]);
        d.put("timestamp_corrected", ev.timestampCorrected);
        return mapper.writeValueAsBytes(out);
    }
}
