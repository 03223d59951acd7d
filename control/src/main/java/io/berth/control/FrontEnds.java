package io.berth.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiServer;
import io.berth.control.api.RequestHandler;
import io.berth.control.cli.ServedCli;
import io.berth.control.cni.CniService;
import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.docker.DockerPluginServer;
import io.berth.control.error.BerthException;
import io.berth.control.flowlog.FlowLog;
import io.berth.control.ipam.Ipv4;
import io.berth.control.metrics.MetricsServer;
import io.berth.control.sandbox.NetnsSandboxes;
import io.berth.control.state.ControlService;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.util.concurrent.ExecutorService;

/**
 * What berthd serves once its state is composed: the API socket with its streaming ops (capture, flows, trace,
 * exposure, the served CLI, the CNI plugin), the Docker plugin and the metrics endpoint, each handed to the
 * close-all as it is made. All of them reach the state through the control thread. Called on the main thread.
 */
final class FrontEnds
{
    private FrontEnds()
    {
    }

    /** Opens every front end the options ask for; returns the API server, not yet accepting. */
    static ApiServer serve(final Concluded o, final ControlService service, final NetnsSandboxes sandboxes,
        final FlowLog flows, final ExecutorService controlThread, final CloseAll closeAll) throws IOException
    {
        final RequestHandler handler = new RequestHandler(service, sandboxes, info(o));
        final ApiServer api = closeAll.add("the API", new ApiServer(o.socket(), controlThread, handler::handle));
        api.streamer(RequestHandler.captureStream(service, controlThread));
        api.streamer(RequestHandler.flowStream(flows));
        api.streamer(RequestHandler.traceStream(service, controlThread));
        api.streamer(RequestHandler.exposureStream(service, controlThread));
        api.streamer(new ServedCli(api::call));
        api.streamer(new CniService(service, sandboxes, controlThread));
        if (o.dockerPluginSocket() != null)
        {
            closeAll.add("the Docker plugin", DockerPluginServer.start(o.dockerPluginSocket(), o.dockerHost(), service,
                controlThread));
        }
        if (o.metricsAddr() != null)
        {
            try
            {
                closeAll.add("the metrics server", MetricsServer.start(o.metricsAddr(),
                    () -> Berthd.onControlThread(controlThread, handler::countersView)));
            }
            catch (final IOException ex)
            {
                throw new BerthException("cannot serve metrics on " + o.metricsAddr() + ": " + ex.getMessage());
            }
        }
        return api;
    }

    /** What {@code berth info} reports about this berthd. */
    private static ObjectNode info(final Concluded o)
    {
        final ObjectNode info = Json.WIRE.createObjectNode();
        info.put("Pid", ProcessHandle.current().pid());
        info.put("Socket", o.socket().toString());
        info.put("StateDir", o.state().toString());
        final UplinkSpec uplink = o.uplink();
        if (uplink != null)
        {
            info.put("Uplink", uplink.iface());
            info.put("UplinkIp", Ipv4.format(uplink.ip()) + "/" + uplink.prefixLength());
            info.put("UplinkGateway", uplink.gateway() == 0 ? "" : Ipv4.format(uplink.gateway()));
        }
        return info;
    }
}
