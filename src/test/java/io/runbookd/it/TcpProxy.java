package io.runbookd.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP forwarder that a test can stop (cut every connection, refuse new ones) and start again
 * on the same port: a database that goes down and comes back. While blackholed it keeps every connection
 * open but drops all bytes: a network partition.
 */
public final class TcpProxy implements AutoCloseable {

  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private ServerSocket server; // guarded by this
  private volatile boolean blackhole;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this(0, targetHost, targetPort);
  }

  /** Listens on {@code 127.0.0.1:port} ({@code 0}: any free port) and forwards to the target. */
  public TcpProxy(int port, String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = listen(port);
    this.port = server.getLocalPort();
  }

  /** True while the proxy accepts connections. */
  public synchronized boolean listening() {
    return server != null;
  }

  public int port() {
    return port;
  }

  public synchronized void start() throws IOException {
    if (server == null) {
      server = listen(port);
    }
  }

  /** Drops every byte from now on (true) or forwards again (false). */
  public void blackhole(boolean on) {
    blackhole = on;
  }

  public synchronized void stop() {
    if (server != null) {
      closeQuietly(server);
      server = null;
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  @Override
  public void close() {
    stop();
  }

  private ServerSocket listen(int localPort) throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), localPort));
    Thread acceptor = new Thread(() -> accept(ss), "tcp-proxy-accept-" + localPort);
    acceptor.setDaemon(true);
    acceptor.start();
    return ss;
  }

  private void accept(ServerSocket ss) {
    while (!ss.isClosed()) {
      try {
        Socket client = ss.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // closed by stop(), or the target refused: the client sees its connection drop
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
          if (!blackhole) {
            out.write(buf, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // either side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // best effort
    }
  }
}
