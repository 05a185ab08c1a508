package eventproc.kstreams;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Entry point of the Kafka Streams comparison jar. Subcommands:
 *
 * <pre>
 *   create-topics --brokers B --partitions P TOPIC...   create topics (AdminClient), fail if one exists
 *   delete-topics --brokers B TOPIC...                  delete topics
 *   run   --brokers B --input T --output O --dlq D --app-id A [--threads N] [--store memory|rocksdb]
 *                                                       the Streams app (exactly_once_v2), until SIGTERM
 *   count --brokers B --topics O,D --count N [--timeout-s S]
 *                                                       read_committed consumer: counts records from
 *                                                       offset 0 until N, prints one JSON line
 * </pre>
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        Map<String, String> flags = parseFlags(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "create-topics" -> CreateTopics.run(flags);
            case "delete-topics" -> CreateTopics.delete(flags);
            case "run" -> StreamsApp.run(flags);
            case "count" -> CommittedCounter.run(flags);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: java -jar kstreams-bench.jar create-topics|delete-topics|run|count --flag value ...");
        System.exit(2);
    }

    /** Parses "--name value" pairs; the positional words go under "" separated by commas. */
    static Map<String, String> parseFlags(String[] args) {
        Map<String, String> flags = new HashMap<>();
        StringBuilder positional = new StringBuilder();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                flags.put(args[i].substring(2), args[++i]);
            } else {
                if (positional.length() > 0) {
                    positional.append(',');
                }
                positional.append(args[i]);
            }
        }
        flags.put("", positional.toString());
        return flags;
    }

    static String need(Map<String, String> flags, String name) {
        String v = flags.get(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }
}
