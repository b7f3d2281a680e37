package io.runbookd;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP reloads the rules, as it reloads Prometheus' and Alertmanager's configuration. Uses
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
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Object hup = signalClass.getConstructor(String.class).newInstance("HUP");
      InvocationHandler ih = (proxy, method, args) -> {
        switch (method.getName()) {
          case "handle" -> {
            try {
              action.run();
            } catch (RuntimeException e) {
              LOG.error("msg=\"SIGHUP handling failed\"", e);
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
            return "runbookd SIGHUP handler";
          }
          default -> throw new UnsupportedOperationException(method.getName());
        }
      };
      Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass}, ih);
      signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, hup, handler);
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
      LOG.warn("msg=\"SIGHUP cannot be handled on this JVM ({}); reload rules with POST /-/reload or by editing the files\"",
          cause.toString());
      return false;
    }
  }
}
