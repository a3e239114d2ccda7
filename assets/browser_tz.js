// The browser's time zone, for the "browser" display zone (read by a clientside callback).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    newsmarks: {
        browserTimeZone: function () {
            try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
        }
    }
});
