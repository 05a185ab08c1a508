package eventproc.kstreams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/** Creates fresh topics with a given partition count (replication factor 1: a single broker), or deletes topics. */
final class CreateTopics {
    private CreateTopics() {}

    static void run(Map<String, String> flags) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Main.need(flags, "brokers"));
        int partitions = Integer.parseInt(flags.getOrDefault("partitions", "6"));
        short replication = Short.parseShort(flags.getOrDefault("replication", "1"));
        List<NewTopic> topics = new ArrayList<>();
        for (String name : Main.need(flags, "").split(",")) {
            topics.add(new NewTopic(name, partitions, replication));
        }
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(topics).all().get();
        }
        System.err.println("created " + topics.size() + " topic(s) with " + partitions + " partitions");
    }

    static void delete(Map<String, String> flags) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Main.need(flags, "brokers"));
        List<String> names = List.of(Main.need(flags, "").split(","));
        try (Admin admin = Admin.create(props)) {
            admin.deleteTopics(names).all().get();
        }
        System.err.println("deleted " + names.size() + " topic(s)");
    }
}
