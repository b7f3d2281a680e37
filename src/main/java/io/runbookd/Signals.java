package io.runbookd;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP reloads the rules, as it reloads Prometheus' and Alertmanager's configuration; SIGTERM and
 * SIGINT stop the daemon gracefully (see {@link Main}). Uses
 * {@code sun.misc.Signal} (module {@code jdk.unsupported}) through reflection, so that a JVM without
 * it, or one started with {@code -Xrs}, still runs: reload then only through {@code POST /-/reload}
 * and file changes.
 */
final class Signals {
  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * Runs {@code action} on every SIGHUP (instead of the JVM's default, which exits).
   *
   * @return whether the handler is installed
   */
  static boolean onHangup(Runnable action) {
    return on("HUP", action, "reload rules with POST /-/reload or by editing the files");
  }

  /**
   * Runs {@code action} on every SIGTERM and SIGINT instead of the JVM's default (which runs the
   * shutdown hooks and exits with 143 or 130).
   *
   * @return whether both handlers are installed
   */
  static boolean onTerminate(Runnable action) {
    String fallback = "a stop then runs from a shutdown hook and the exit code is 143";
    return on("TERM", action, fallback) & on("INT", action, fallback);
  }

  private static boolean on(String signal, Runnable action, String fallback) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Object sig = signalClass.getConstructor(String.class).newInstance(signal);
      InvocationHandler ih = (proxy, method, args) -> {
        switch (method.getName()) {
          case "handle" -> {
            try {
              action.run();
            } catch (RuntimeException e) {
              LOG.error("msg=\"SIG{} handling failed\"", signal, e);
            }
            return null;
          }
          case "hashCode" -> {
            return System.identityHashCode(proxy);
          }
          case "equals" -> {
            return proxy == args[0];
          }
          case "toString" -> {
            return "runbookd SIG" + signal + " handler";
          }
          default -> throw new UnsupportedOperationException(method.getName());
        }
      };
      Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass}, ih);
      signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, sig, handler);
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
      LOG.warn("msg=\"SIG{} cannot be handled on this JVM ({}); {}\"", signal, cause.toString(), fallback);
      return false;
    }
  }
}
