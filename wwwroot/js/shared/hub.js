// The SignalR connection to /hubs/runs with automatic reconnects.
/* global signalR */

export function connect({ onPoints, onVectors, onRun, onReconnected, onLost }) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/runs')
    .withAutomaticReconnect([0, 500, 1000, 2000, 5000, 5000, 10000])
    .build();
  if (onPoints) connection.on('Points', onPoints);
  if (onVectors) connection.on('Vectors', onVectors);
  if (onRun) connection.on('Run', onRun);
  if (onReconnected) connection.onreconnected(onReconnected);
  if (onLost) { connection.onreconnecting(onLost); connection.onclose(onLost); }
  return connection;
}
