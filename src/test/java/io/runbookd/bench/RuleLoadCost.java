package io.runbookd.bench;

import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Time and heap of loading {@code count} per-team rules ({@link ManyRules}) from one file, as the
 * daemon does at start and on a reload. Arguments: {@code [count=10000] [loads=3]}. Prints the file
 * size, each load's wall time, and the heap the loaded rule set keeps (used heap after a GC, with and
 * without it).
 */
public final class RuleLoadCost {
  private RuleLoadCost() {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int loads = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory("runbookd-rules");
    Path file = dir.resolve("teams.yaml");
    Files.writeString(file, ManyRules.file(count));
    System.out.printf("rules=%d file_bytes=%d%n", count, Files.size(file));
    RuleLoader loader = new RuleLoader(RuleLoader.Context.unchecked(), Clock.systemUTC());
    long base = usedAfterGc();
    RuleSet kept = null;
    for (int i = 0; i < loads; i++) {
      kept = null;
      long t = System.nanoTime();
      kept = loader.load(List.of(file));
      System.out.printf("load %d: %.2f s%n", i + 1, (System.nanoTime() - t) / 1e9);
    }
    long with = usedAfterGc();
    System.out.printf("rule set kept on the heap: %.1f MiB (%d rules); peak heap committed %.0f MiB%n",
        (with - base) / 1048576.0, kept.rules().size(),
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1048576.0);
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
