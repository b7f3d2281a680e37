package io.runbookd.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The stable identity of one runbookd replica: the name under which it holds incident leases and
 * alert, escalation and storm-summary claims, so that the same replica started again takes back at
 * once what its previous run held instead of waiting for those leases to expire.
 *
 * <p>Where it comes from, in order:
 * <ol>
 *   <li>{@code engine.instance_id} in the config (for replicas sharing PostgreSQL: one per replica,
 *       e.g. a StatefulSet pod name through {@code ${env:POD_NAME}});
 *   <li>the file {@code <store.data_dir>/instance-id}, created on the first start
 *       ({@code <hostname>-<8 hex digits>}) and held under an exclusive file lock
 *       ({@link FileChannel#tryLock()}) while the daemon runs, so two live daemons never share it;
 *   <li>when that file is locked by another running daemon, or cannot be created: a temporary identity
 *       for this run only ({@link #stable()} false), which takes back nothing.
 * </ol>
 * The lock is an OS lock: a killed process loses it, so its successor takes the identity over.
 */
public final class InstanceIdentity implements AutoCloseable {
  /** The file in the data directory that keeps the identity. */
  public static final String FILE = "instance-id";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:@-]{1,64}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String id;
  private final String source;
  private final boolean stable;
  private final FileChannel channel;
  private final FileLock lock;

  private InstanceIdentity(String id, String source, boolean stable, FileChannel channel, FileLock lock) {
    this.id = Objects.requireNonNull(id, "id");
    this.source = Objects.requireNonNull(source, "source");
    this.stable = stable;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Checks an identity's shape: 1 to 64 of {@code A-Z a-z 0-9 . _ : @ -}.
   *
   * @param where the key or file it came from, for the message
   * @return {@code id}
   * @throws ConfigException when it has another shape
   */
  public static String check(String id, String where) {
    if (id == null || !VALID.matcher(id).matches()) {
      throw new ConfigException(where + ": an instance id is 1 to 64 of A-Z a-z 0-9 . _ : @ -, got \""
          + (id == null ? "" : id.length() > 80 ? id.substring(0, 80) + "..." : id).replaceAll("[\\p{Cntrl}]", "?") + "\"");
    }
    return id;
  }

  /**
   * The identity of this run.
   *
   * @param configured {@code engine.instance_id}, or null
   * @param dataDir {@code store.data_dir}, where the identity is kept when none is configured
   * @return the identity; close it when the daemon stops (releases the file lock)
   * @throws ConfigException when the identity file holds something that is not an identity
   */
  public static InstanceIdentity acquire(String configured, Path dataDir) {
    if (configured != null) {
      return new InstanceIdentity(check(configured, "engine.instance_id"), "engine.instance_id", true, null, null);
    }
    Path file = dataDir.resolve(FILE).toAbsolutePath();
    FileChannel channel = null;
    try {
      Files.createDirectories(file.getParent());
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        return temporary(file + " is held by another running runbookd");
      }
      String id = read(channel).strip();
      if (id.isEmpty()) {
        id = generate();
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        channel.force(true);
      } else {
        try {
          check(id, file.toString());
        } catch (ConfigException e) {
          channel.close();
          throw e;
        }
      }
      return new InstanceIdentity(id, file.toString(), true, channel, lock);
    } catch (IOException | SecurityException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // nothing held
        }
      }
      return temporary(file + " cannot be used (" + e.getMessage() + ")");
    }
  }

  private static String read(FileChannel channel) throws IOException {
    long size = channel.size();
    if (size > 1024) {
      throw new ConfigException("the instance id file is " + size + " bytes; expected one line");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size);
    while (buf.hasRemaining() && channel.read(buf, buf.position()) > 0) {
      // reads the whole (small) file
    }
    return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
  }

  private static InstanceIdentity temporary(String why) {
    return new InstanceIdentity(generate(), "temporary: " + why, false, null, null);
  }

  /** {@code <hostname>-<8 hex digits>}, the hostname reduced to the allowed characters. */
  static String generate() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException | SecurityException e) {
      host = "runbookd";
    }
    host = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
    host = host.length() > 40 ? host.substring(0, 40) : host;
    byte[] bytes = new byte[4];
    RANDOM.nextBytes(bytes);
    return (host.isEmpty() ? "runbookd" : host) + "-" + HexFormat.of().formatHex(bytes);
  }

  /** The identity. */
  public String id() {
    return id;
  }

  /** Where it came from: {@code engine.instance_id}, the file's path, or {@code temporary: <why>}. */
  public String source() {
    return source;
  }

  /** False for a temporary identity, which never matches a previous run's. */
  public boolean stable() {
    return stable;
  }

  /**
   * The lease owner name of this run: {@code <id>/<8 hex digits>}, new on every start, so the writes of
   * a previous run (or of a misconfigured twin) can always be told apart from this run's.
   */
  public String newOwner() {
    byte[] bytes = new byte[4];
    RANDOM.nextBytes(bytes);
    return ownerPrefix() + HexFormat.of().formatHex(bytes);
  }

  /** What every owner name of this identity starts with: {@code <id>/}. */
  public String ownerPrefix() {
    return id + "/";
  }

  /** Releases the file lock (the file stays). */
  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    try {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
      channel.close();
    } catch (IOException ignored) {
      // the process is stopping; the OS releases the lock with it
    }
  }

  @Override
  public String toString() {
    return id + " (" + source + ")";
  }
}
