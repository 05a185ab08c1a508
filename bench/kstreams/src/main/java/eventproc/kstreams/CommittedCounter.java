package eventproc.kstreams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A read_committed consumer that counts the records of some topics from offset 0 until it
 * has seen N, then prints one JSON line: the wall-clock times (epoch ms) at which it saw the
 * first and the N-th record, and the count. Records of open or aborted transactions are never
 * returned to a read_committed consumer, so the N-th record's time is when the last
 * transaction holding one of the N records was committed (plus one fetch round trip).
 *
 * It assigns partitions itself (no group), so it starts reading at once and adds nothing to
 * the broker's group coordinator work.
 */
final class CommittedCounter {
    private CommittedCounter() {}

    static void run(Map<String, String> flags) {
        long want = Long.parseLong(Main.need(flags, "count"));
        long timeoutMs = Long.parseLong(flags.getOrDefault("timeout-s", "900")) * 1000;
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Main.need(flags, "brokers"));
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A read_committed fetch can be parked until fetch.max.wait.ms even though a commit
        // marker made records visible; a short wait bounds that error of the measurement.
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

        long seen = 0;
        long firstMs = 0;
        long lastMs = 0;
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : Main.need(flags, "topics").split(",")) {
                List<PartitionInfo> infos = null;
                while (infos == null || infos.isEmpty()) {
                    infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                }
                for (PartitionInfo p : infos) {
                    parts.add(new TopicPartition(topic, p.partition()));
                }
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            System.err.println("count: reading " + parts.size() + " partitions, read_committed, until " + want);
            while (seen < want) {
                if (System.currentTimeMillis() > deadline) {
                    System.out.printf("{\"count\":%d,\"want\":%d,\"first_ms\":%d,\"last_ms\":%d,\"timeout\":true}%n",
                            seen, want, firstMs, lastMs);
                    System.exit(1);
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                long now = System.currentTimeMillis();
                if (seen == 0) {
                    firstMs = now;
                }
                seen += records.count();
                lastMs = now;
            }
        }
        System.out.printf("{\"count\":%d,\"want\":%d,\"first_ms\":%d,\"last_ms\":%d,\"timeout\":false}%n",
                seen, want, firstMs, lastMs);
    }
}
