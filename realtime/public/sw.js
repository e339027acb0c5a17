// The dashboard's service worker, for one thing only: desktop notifications with actions (Notification
// actions exist only on a service worker's notifications). It holds no token and calls no API: a click
// is handed to an open dashboard (notifications.js setupNotificationActions), which snoozes; with none
// open, the dashboard is opened, and it lists the reminders that wait (GET /reminders?state=unacknowledged).
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const { taskId, reminderId } = event.notification.data ?? {};
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const page = windows.find((w) => new URL(w.url).pathname === '/') ?? windows[0];
      if (!page) {
        await self.clients.openWindow('/');
        return;
      }
      page.postMessage({ type: 'tasklane.reminder', action: event.action, taskId, reminderId });
      await page.focus?.();
    })(),
  );
});
