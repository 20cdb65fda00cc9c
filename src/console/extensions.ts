/**
 * @module What the console draws from other modules: the live debug stream (src/debug/), the reports
 * (src/reports/) and the alarms (src/alarms/). One place, so app.ts wires the console in one line.
 */
import type { Services } from '../services.js';
import type { ConsoleExtensions } from './routes.js';
import { hubLiveBackend } from './live-hub.js';
import { openAlarmsSection, reportsView } from './views/reports.js';

/** @example app.route('/admin/ui', consoleRoutes(services, verifier, consoleExtensions(services))) */
export function consoleExtensions(services: Services): ConsoleExtensions {
  return {
    live: services.config.debug.enabled ? hubLiveBackend(services.debug, services.runtime) : undefined,
    overview: [openAlarmsSection],
    views: [{ info: { path: 'reports', title: 'Reports & alarms', scope: 'reports:read' }, render: reportsView }],
  };
}
