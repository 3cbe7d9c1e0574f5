// Fill in the browser's own time zone when the patient has not typed one. A file, not an
// inline script: the pages' Content-Security-Policy allows script from this site only.
const timezoneField = document.getElementById("timezone");
if (timezoneField && !timezoneField.value) {
  timezoneField.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
}
