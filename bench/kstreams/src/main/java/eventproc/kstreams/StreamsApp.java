package eventproc.kstreams;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams version of the job: one source, one processor holding the per-source
 * sequence store (changelogged), and two sinks (output, DLQ), under exactly_once_v2.
 */
final class StreamsApp {
    static final String STORE = "source-sequence";
    static final String OUT = "out";
    static final String DLQ = "dlq";

    private StreamsApp() {}

    static Topology topology(String input, String output, String dlq, String storeKind) {
        KeyValueBytesStoreSupplier supplier = switch (storeKind) {
            case "memory" -> Stores.inMemoryKeyValueStore(STORE);
            case "rocksdb" -> Stores.persistentKeyValueStore(STORE);
            default -> throw new IllegalArgumentException("--store " + storeKind + ": memory or rocksdb");
        };
        // Logging: every update goes to the store's changelog topic, in the task's transaction.
        // Caching: updates of one key are merged until the next commit, so the changelog gets
        // one record per source and commit (as eventproc writes one per source and window).
        StoreBuilder<KeyValueStore<String, Long>> store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Long())
                .withLoggingEnabled(Map.of())
                .withCachingEnabled();
        Topology t = new Topology();
        t.addSource("in", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), input);
        t.addProcessor("job", (ProcessorSupplier<byte[], byte[], byte[], byte[]>) JobProcessor::new, "in");
        t.addStateStore(store, "job");
        t.addSink(OUT, output, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "job");
        t.addSink(DLQ, dlq, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "job");
        return t;
    }

    /** Validates, derives and routes each record; keeps the per-source sequence. */
    static final class JobProcessor implements Processor<byte[], byte[], byte[], byte[]> {
        private ProcessorContext<byte[], byte[]> ctx;
        private KeyValueStore<String, Long> sequences;
        private final EventJob job = new EventJob();

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            ctx = context;
            sequences = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> rec) {
            long start = System.nanoTime();
            Optional<RecordMetadata> md = ctx.recordMetadata();
            String topic = md.map(RecordMetadata::topic).orElse("");
            String partition = md.map(m -> Integer.toString(m.partition())).orElse("");
            String offset = md.map(m -> Long.toString(m.offset())).orElse("");
            EventJob.Event ev;
            try {
                ev = job.decode(rec.value(), rec.timestamp());
            } catch (EventJob.Rejection r) {
                // The input key and value, byte for byte, with the input headers and the reason.
                Headers h = new RecordHeaders(rec.headers().toArray());
                h.add("__eventproc.errors.reason", bytes(r.reason));
                h.add("__eventproc.errors.message", bytes(r.getMessage()));
                h.add("__eventproc.errors.topic", bytes(topic));
                h.add("__eventproc.errors.partition", bytes(partition));
                h.add("__eventproc.errors.offset", bytes(offset));
                ctx.forward(new Record<>(rec.key(), rec.value(), rec.timestamp(), h), DLQ);
                return;
            }
            Long last = sequences.get(ev.sourceId);
            long seq = (last == null ? 0 : last) + 1;
            byte[] value;
            try {
                value = job.output(ev, seq, start);
            } catch (Exception e) {
                throw new IllegalStateException("encoding an output record", e);
            }
            sequences.put(ev.sourceId, seq);
            Headers h = new RecordHeaders(rec.headers().toArray());
            h.add("__eventproc.source.topic", bytes(topic));
            h.add("__eventproc.source.partition", bytes(partition));
            h.add("__eventproc.source.offset", bytes(offset));
            ctx.forward(new Record<>(bytes(ev.sourceId), value, rec.timestamp(), h), OUT);
        }

        private static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
    }

    static void run(Map<String, String> flags) throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, Main.need(flags, "app-id"));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, Main.need(flags, "brokers"));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, flags.getOrDefault("threads", "1"));
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, flags.getOrDefault("replication", "1"));
        if (flags.containsKey("commit-interval-ms")) {
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, flags.get("commit-interval-ms"));
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, flags.getOrDefault("state-dir",
                Files.createTempDirectory("kstreams-bench-").toString()));
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

        String storeKind = flags.getOrDefault("store", "memory");
        Topology topology = topology(Main.need(flags, "input"), Main.need(flags, "output"),
                Main.need(flags, "dlq"), storeKind);
        KafkaStreams streams = new KafkaStreams(topology, props);
        CountDownLatch done = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            // The runner waits for RUNNING to sample the CPU used by start-up.
            System.out.printf("state %s %d%n", now, System.currentTimeMillis());
            System.out.flush();
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                done.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            done.countDown();
        }));
        System.err.println("kstreams-bench: exactly_once_v2, threads=" + props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)
                + ", store=" + storeKind + ", state.dir=" + props.get(StreamsConfig.STATE_DIR_CONFIG));
        streams.start();
        done.await();
    }
}
