// GcJava: a JVM program that collects often, for memtrace's GC tests.
// Run with -Xlog:gc to compare memtrace's pauses with the JVM's own account:
//   java -Xlog:gc -Xmx256m tools/GcJava.java [seconds]
import java.util.Random;

public class GcJava {
    static Object sink;

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int n = 16 * 1024;
        byte[][] live = new byte[n][];
        for (int i = 0; i < n; i++)
            live[i] = new byte[2048];
        Random rng = new Random(1);
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long ops = 0;
        while (System.nanoTime() < deadline) {
            for (int k = 0; k < 1000; k++) {
                if (k % 10 == 0)
                    live[rng.nextInt(n)] = new byte[2048];
                sink = new byte[512 + rng.nextInt(4096)];
                ops++;
            }
        }
        System.out.println("{\"ops\": " + ops + "}");
    }
}
