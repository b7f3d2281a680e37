package io.runbookd.e2e;

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
 * A loopback TCP forwarder in front of a database: {@link #stop()} closes every connection and the
 * listening socket, so the port refuses connections ({@code ECONNREFUSED}, a real "Connection refused"
 * for the JDBC driver), and {@link #start()} listens on the same port again: a database that went away
 * and came back.
 */
final class PortProxy implements AutoCloseable {
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private ServerSocket server; // guarded by this

  /** Listens on {@code 127.0.0.1:port} ({@code 0}: any free port) and forwards to the target. */
  PortProxy(int port, String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = listen(port);
    this.port = server.getLocalPort();
  }

  int port() {
    return port;
  }

  synchronized boolean listening() {
    return server != null;
  }

  /** Listens again on the same port; a no-op while listening. */
  synchronized void start() throws IOException {
    if (server == null) {
      server = listen(port);
    }
  }

  /** Closes the listener and every forwarded connection; new connections are refused. Idempotent. */
  synchronized void stop() {
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
    Thread acceptor = new Thread(() -> accept(ss), "port-proxy-accept-" + ss.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
    return ss;
  }

  private void accept(ServerSocket ss) {
    while (!ss.isClosed()) {
      Socket client;
      try {
        client = ss.accept();
      } catch (IOException e) {
        return; // closed by stop()
      }
      try {
        Socket upstream = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        closeQuietly(client); // the target itself refused: so does the proxy
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // either side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "port-proxy-pump");
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
