using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Secrets
{
    /// <summary>
    /// The one place that decides what counts as a secret in a Phoenix config and how it is hidden.
    /// VmSpec's display, the feature context file and error messages all go through here.
    /// </summary>
    public static class SecretMasker
    {
        /// <summary>What is shown instead of a secret.</summary>
        public const string Mask = "********";

        // Field names (config spelling) whose values are secrets wherever they appear. Kept short on purpose:
        // a wrongly masked value only hides text, a missed one leaks it, so anything password-like counts.
        private static readonly string[] SecretNameParts = { "password", "passwd", "passphrase", "secret", "private_key", "privatekey", "token" };

        /// <summary>True when a JSON key names a secret (<c>password_hash</c>, <c>db_password</c>, <c>api_token</c>, ...).</summary>
        public static bool IsSecretFieldName(string? name)
        {
            if (string.IsNullOrEmpty(name)) return false;
            var lower = name!.ToLowerInvariant().Replace('-', '_');
            return SecretNameParts.Any(p => lower.Contains(p));
        }

        /// <summary>
        /// Replaces every occurrence of each non-empty secret in <paramref name="text"/> with <see cref="Mask"/>.
        /// For text that may quote a secret by accident (remote command output, exception messages).
        /// </summary>
        public static string Redact(string? text, IEnumerable<string?> secrets)
        {
            if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
            var result = text!;
            // Longest first, so a secret that contains another is masked whole.
            foreach (var s in secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct().OrderByDescending(s => s!.Length))
                result = result.Replace(s!, Mask);
            return result;
        }

        /// <summary>Same as <see cref="Redact(string?, IEnumerable{string?})"/> for <see cref="Secret"/> values.</summary>
        public static string Redact(string? text, params Secret?[] secrets)
            => Redact(text, secrets.Where(s => s != null && !s.IsEmpty).Select(s => (string?)s!.Reveal()));

        /// <summary>
        /// A deep copy of <paramref name="token"/> in which the value of every secret-named property
        /// (<see cref="IsSecretFieldName"/>) is replaced by <see cref="Mask"/>. For display only.
        /// </summary>
        public static JToken MaskJson(JToken token)
        {
            var copy = token.DeepClone();
            if (copy is not JContainer container) return copy;
            foreach (var p in container.DescendantsAndSelf().OfType<JProperty>().ToList())
                if (IsSecretFieldName(p.Name) && p.Value.Type != JTokenType.Null)
                    p.Value = new JValue(Mask);
            return copy;
        }

        /// <summary>
        /// A deep copy of <paramref name="obj"/> without the properties named in <paramref name="secretPaths"/>
        /// (dotted paths such as <c>user_config.password_hash</c>). For the feature context file, which must not
        /// carry secrets at all (a mask would still tell that one exists).
        /// </summary>
        public static JObject RemoveFields(JObject obj, IEnumerable<string> secretPaths)
        {
            var copy = (JObject)obj.DeepClone();
            foreach (var path in secretPaths)
            {
                var parts = path.Split('.');
                JObject? cur = copy;
                for (var i = 0; i < parts.Length - 1 && cur != null; i++)
                    cur = cur[parts[i]] as JObject;
                cur?.Remove(parts[parts.Length - 1]);
            }
            return copy;
        }
    }
}
