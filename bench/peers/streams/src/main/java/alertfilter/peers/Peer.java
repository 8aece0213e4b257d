// bench/peers/streams/.../Peer.java — the Kafka Streams peer of `make bench-peers` (issue 17): alertfilter's
// job as a Kafka Streams application, exactly_once_v2: parse each alert (Jackson or PyLiteral), apply
// bench/rules.py's rules, route each match's JSON (written once per alert) to its rules' topics, and
// malformed input unchanged to a dead-letter topic.
//
//   java -cp 'target/peers-streams.jar:target/lib/*' alertfilter.peers.Peer
//        BOOTSTRAP INPUT APPLICATION_ID python|json RULES(N|all:TOPIC) TOPIC_PREFIX DEAD_LETTER_TOPIC
//
// Prints "first-consumed EPOCH_MS" on stdout at its first alert; runs until SIGTERM.
package alertfilter.peers;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

public final class Peer {
    /** One output record: the topic it goes to and its bytes (the match's JSON, or a dead letter). */
    record Routed(String topic, byte[] bytes) {}

    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: Peer BOOTSTRAP INPUT APPLICATION_ID python|json RULES(N|all:TOPIC) TOPIC_PREFIX DLQ");
            System.exit(2);
        }
        String bootstrap = args[0], input = args[1], appId = args[2], format = args[3], dlq = args[6];
        boolean python = format.equals("python");
        List<Rules.Rule> rules = args[4].startsWith("all:")
                ? List.of(new Rules.Rule(args[4].substring(4), a -> true))
                : Rules.rules(Integer.parseInt(args[4]), args[5]);

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Tuning for throughput (docs: "Kafka Streams configuration", "Optimizing for throughput"), at
        // alertfilter's transaction cadence: a commit (transaction) every 100 ms, two stream threads
        // for the two cores, producer batches of up to 256 KiB lingering 10 ms, 1000 records a poll.
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 10);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 262144);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 1000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/peers-streams-" + appId);

        Serde<byte[]> bytes = Serdes.ByteArray();
        Serde<Routed> routed = Serdes.serdeFrom((topic, r) -> r.bytes(), (topic, b) -> {
            throw new UnsupportedOperationException("Routed records are only written");
        });
        AtomicBoolean first = new AtomicBoolean();

        StreamsBuilder b = new StreamsBuilder();
        b.stream(input, Consumed.with(bytes, bytes))
            .flatMapValues(v -> {
                if (!first.get() && first.compareAndSet(false, true)) {
                    System.out.println("first-consumed " + System.currentTimeMillis());
                    System.out.flush();
                }
                Map<String, Object> alert;
                try {
                    Object o = python ? PyLiteral.parse(new String(v, StandardCharsets.UTF_8))
                                      : JSON.readValue(v, Object.class);
                    if (!(o instanceof Map)) return List.of(new Routed(dlq, v));
                    @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) o;
                    alert = m;
                } catch (Exception e) {
                    return List.of(new Routed(dlq, v));
                }
                List<Routed> out = null;
                byte[] js = null;
                for (Rules.Rule r : rules) {
                    if (!r.where().test(alert)) continue;
                    if (js == null) {
                        try {
                            js = JSON.writeValueAsBytes(alert);
                        } catch (Exception e) {
                            return List.of(new Routed(dlq, v));
                        }
                        out = new ArrayList<>(2);
                    }
                    out.add(new Routed(r.topic(), js));
                }
                return out == null ? List.<Routed>of() : out;
            })
            .to((key, r, ctx) -> r.topic(), Produced.with(bytes, routed));

        KafkaStreams streams = new KafkaStreams(b.build(), p);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            done.countDown();
        }));
        streams.setUncaughtExceptionHandler(e -> {
            e.printStackTrace();
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        done.await();
    }
}
