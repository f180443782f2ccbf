@{
    Synopsis    = 'Lists the Phoenix sessions of this PowerShell session.'
    Description = 'Get-PhoenixHost returns the sessions made by Connect-PhoenixHost that are still open, optionally filtered by host or node name. With -Default it returns only the session that cmdlets use when -Session is not given. A session on a cluster reads `pvesh get /cluster/status` again (one command), so its Nodes show each node as it is now: name, address, IsOnline, IsLocal and IsConnected (whether the session has a connection open to it); a node alone asks nothing.'
    Parameters  = @{
        HostName = 'Host or node names to match. Wildcards are allowed. Default: all sessions.'
        Default  = 'Return only the default session.'
    }
    Inputs      = @('None')
    Examples    = @(
        @{ Title = 'List sessions'; Code = 'Get-PhoenixHost'; Remarks = 'Shows every open session with its host, port, user, node and host key fingerprint.' }
        @{ Title = 'The nodes of a cluster and their state'; Code = "`$s = Connect-PhoenixHost -Simulator -ClusterNode pve1, pve2 -NoDefault`n(Get-PhoenixHost pve1).Nodes`n`$s | Disconnect-PhoenixHost"; Remarks = 'Each node of the session''s cluster, whether it is online and whether the session is connected to it.' }
        @{ Title = 'Which session is the default'; Code = 'Get-PhoenixHost -Default'; Remarks = 'Returns the session used when a cmdlet gets no -Session.' }
    )
    Links       = @('Connect-PhoenixHost', 'Disconnect-PhoenixHost')
}
