// Cell renderers for the headlines table. Headline text is untrusted: React renders it as text,
// and only http(s) links become anchors (opened in a new tab without access to this page).
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.SafeLink = function (props) {
    var url = props.data ? props.data.link : null;
    var text = props.value === null || props.value === undefined ? "" : String(props.value);
    if (typeof url === "string" && /^https?:\/\//i.test(url)) {
        return React.createElement("a", {href: url, target: "_blank", rel: "noopener noreferrer"}, text);
    }
    return React.createElement("span", null, text);
};
