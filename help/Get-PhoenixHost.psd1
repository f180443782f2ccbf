@{
    Synopsis    = 'Lists the Phoenix sessions of this PowerShell session.'
    Description = 'Get-PhoenixHost returns the sessions made by Connect-PhoenixHost that are still open, optionally filtered by host or node name. With -Default it returns only the session that cmdlets use when -Session is not given.'
    Parameters  = @{
        HostName = 'Host or node names to match. Wildcards are allowed. Default: all sessions.'
        Default  = 'Return only the default session.'
    }
    Inputs      = @('None')
    Examples    = @(
        @{ Title = 'List sessions'; Code = 'Get-PhoenixHost'; Remarks = 'Shows every open session with its host, port, user, node and host key fingerprint.' }
        @{ Title = 'Which session is the default'; Code = 'Get-PhoenixHost -Default'; Remarks = 'Returns the session used when a cmdlet gets no -Session.' }
    )
    Links       = @('Connect-PhoenixHost', 'Disconnect-PhoenixHost')
}
